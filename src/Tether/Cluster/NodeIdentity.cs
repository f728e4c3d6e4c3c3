using System.Security.Cryptography;

namespace Tether.Cluster;

/// <summary>
/// One node of a cluster: its configured name, and an id that is new for every process (name plus a random
/// incarnation), so that entries a dead process left in Redis, and writes from a node that was cut off, can be told
/// apart from the live node of the same name.
/// </summary>
internal sealed class NodeIdentity
{
    private NodeIdentity(string name, string id)
    {
        Name = name;
        Id = id;
    }

    /// <summary>The configured name (presence, logs).</summary>
    public string Name { get; }

    /// <summary>Name and incarnation, unique per process: what Redis records as an owner.</summary>
    public string Id { get; }

    public static NodeIdentity Create(string? configuredName)
    {
        var name = configuredName ?? $"{Environment.MachineName}-{Environment.ProcessId}";
        return new NodeIdentity(name, $"{name}:{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}");
    }

    public override string ToString() => Id;
}
