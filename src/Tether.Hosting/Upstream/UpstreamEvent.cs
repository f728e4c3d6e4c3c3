namespace Tether.Hosting.Upstream;

/// <summary>One event, already serialized as a JSON object, and whose budget its bytes are charged to.</summary>
internal sealed class UpstreamEvent(byte[] json, ClientBudget client)
{
    public byte[] Json { get; } = json;

    public ClientBudget Client { get; } = client;

    public int Size => Json.Length;
}
