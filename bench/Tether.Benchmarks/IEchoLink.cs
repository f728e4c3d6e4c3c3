namespace Tether.Benchmarks;

/// <summary>A running echo link with sessions on or off, as the session benchmarks and <c>--echo-throughput</c> use it.</summary>
internal interface IEchoLink : IAsyncDisposable
{
    /// <summary>Whether the link runs with reliable sessions.</summary>
    bool Sessions { get; }

    /// <summary>Echoes received since the link started.</summary>
    long Received { get; }

    /// <summary>
    /// The meter names of the link's Tether endpoints, one per side (for the wire statistics). By name, as an application
    /// would listen: one link runs at a time, so each name is one side.
    /// </summary>
    IReadOnlyList<string> MeterNames { get; }

    /// <summary>Sends <paramref name="messages"/> messages and returns once every echo is back; throws if any is missing.</summary>
    Task RunAsync(int messages);
}
