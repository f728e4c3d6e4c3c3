namespace Tether.Hostile.Monitoring;

/// <summary>
/// The server's resident memory: at the baseline (good clients connected and exchanging, before any hostile peer), the
/// highest sample after it, and at the end. Null figures were not measured (no --server-pid, or the server was gone).
/// </summary>
internal sealed record RssFigures(long? Baseline, long? Peak, long? Final, double Growth, long FloorBytes)
{
    /// <summary>
    /// The most the server may hold, peak and final alike: the baseline plus the larger of <see cref="Growth"/> of it and
    /// <see cref="FloorBytes"/>. The fraction scales with a server already holding many connections; the floor covers
    /// what a small server holds for the flood itself (up to --max-sockets half-open connections with their handshake
    /// buffers, and the runtime's pools warming up).
    /// </summary>
    public long? Bound => Baseline is { } baseline ? baseline + Math.Max((long)(baseline * Growth), FloorBytes) : null;

    public bool Measured => Baseline is not null && Peak is not null && Final is not null;
}
