namespace Tether.Cluster;

/// <summary>
/// The ids of the last pushes from other nodes a session took, as the store remembers them (the same count): a retried
/// push, whose first attempt got here or to the session's previous node, is recognised and not numbered twice. Only
/// sessions that received pushes have one.
/// </summary>
internal sealed class PushIds
{
    private const int Capacity = 32;
    private readonly string?[] _ids = new string?[Capacity];
    private int _next;

    public bool Contains(string id) => Array.IndexOf(_ids, id) >= 0;

    /// <summary>Adds <paramref name="id"/> (not there yet), forgetting the oldest when full.</summary>
    public void Add(string id)
    {
        _ids[_next] = id;
        _next = (_next + 1) % Capacity;
    }
}
