namespace Tether.Client;

/// <summary>How a client with several endpoints chooses the next one.</summary>
public enum EndpointSelection
{
    /// <summary>Always start from the first endpoint and move down the list only while attempts fail.</summary>
    Failover,

    /// <summary>Rotate through the list: each attempt uses the endpoint after the previous one.</summary>
    RoundRobin,
}
