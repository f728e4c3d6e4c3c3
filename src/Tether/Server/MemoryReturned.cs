namespace Tether.Server;

/// <summary>What one return after a peak did.</summary>
/// <param name="Peak">The most connections and sessions held before the fall.</param>
/// <param name="Load">Connections and sessions held when memory was returned.</param>
/// <param name="CommittedBefore">Memory the collector had committed before.</param>
/// <param name="CommittedAfter">Memory the collector had committed after.</param>
/// <param name="HeapAfter">The managed heap after the collection.</param>
/// <param name="Pause">How long the collection took.</param>
internal readonly record struct MemoryReturned(int Peak, int Load, long CommittedBefore, long CommittedAfter, long HeapAfter, TimeSpan Pause);
