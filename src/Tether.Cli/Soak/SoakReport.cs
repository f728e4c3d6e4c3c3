namespace Tether.Cli.Soak;

/// <summary>The outcome of a soak run.</summary>
internal sealed record SoakReport
{
    /// <summary>Client to server (against an echo server: the round trip, checked on the echo).</summary>
    public required StreamCounts Up { get; init; }

    /// <summary>Server to client (empty against an echo server, which pushes nothing of its own).</summary>
    public required StreamCounts Down { get; init; }

    public required long Faults { get; init; }

    public required IReadOnlyDictionary<FaultKind, long> FaultsByKind { get; init; }

    public required long Resumes { get; init; }

    /// <summary>Session losses reported to clients.</summary>
    public required long SessionResets { get; init; }

    /// <summary>Session losses reported to the in-process server's handler (null against --target).</summary>
    public required long? ServerSessionResets { get; init; }

    /// <summary>Sessions a client reported lost that the in-process server never reported (null against --target).</summary>
    public required long? UnreportedByServer { get; init; }

    public required long Restarts { get; init; }

    /// <summary>Node processes of a cluster run (--cluster); 0 without one.</summary>
    public int Nodes { get; init; }

    /// <summary>Nodes killed with SIGKILL and restarted (--kill-node-every).</summary>
    public long NodeKills { get; init; }

    public required long Corrupt { get; init; }

    /// <summary>Whether every client ended connected with nothing unacknowledged within the settle time.</summary>
    public required bool Settled { get; init; }

    /// <summary>Paths reset while settling because a client stayed connected but stalled (a black hole's hole in a live stream).</summary>
    public required int SettleResets { get; init; }

    public required int Clients { get; init; }

    public required TimeSpan Elapsed { get; init; }

    public required int Seed { get; init; }

    /// <summary>True against --target: "up" is the echo round trip.</summary>
    public required bool Echo { get; init; }

    /// <summary>
    /// No message lost, duplicated, reordered or damaged outside a reported session reset, and every reset reported on
    /// both sides. In a cluster run, also no session reset at all (a client must resume its session on another node
    /// when its node dies; the soak assumes Redis ran the whole time) and some pushes made it across the cluster.
    /// </summary>
    public bool Passed => !Up.HasFailures && !Down.HasFailures && Corrupt == 0 && UnreportedByServer is null or 0
        && (Nodes == 0 || (SessionResets == 0 && Down.Sent > 0));
}
