using System.Net;

namespace Tether.Cli.Soak;

/// <summary>What <c>tether soak</c> runs: how many clients, for how long, how rough the network is.</summary>
internal sealed record SoakOptions
{
    public int Clients { get; init; } = 50;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Mean time between two faults on one client's path (each wait is drawn from 0.5 to 1.5 times this).</summary>
    public TimeSpan FaultEvery { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Restart the in-process server every <see cref="RestartEvery"/> (sessions are lost, and must be reported).</summary>
    public bool RestartServer { get; init; }

    /// <summary>An external (echo) server to soak instead of an in-process one; null for in-process.</summary>
    public EndPoint? Target { get; init; }

    /// <summary>Messages per second each client sends, and the server pushes to each client.</summary>
    public int Rate { get; init; } = 20;

    /// <summary>Seed of the fault schedule; null picks one (printed, so a run can be repeated).</summary>
    public int? Seed { get; init; }

    public bool Json { get; init; }

    /// <summary>How long the end of the run waits for every client to be connected with nothing unacknowledged.</summary>
    public TimeSpan SettleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan ProgressEvery { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Server restarts are rarer than faults: each one costs every client its session. A run shorter than that still
    /// gets one, halfway, or --restart-server would test nothing.
    /// </summary>
    public TimeSpan RestartEvery => FaultEvery * 3 <= Duration ? FaultEvery * 3 : Duration / 2;

    /// <summary>How many node processes a cluster run starts (--cluster); null for a single in-process server.</summary>
    public int? Cluster { get; init; }

    /// <summary>The Redis the cluster's nodes share (--redis); set exactly when <see cref="Cluster"/> is.</summary>
    public string? Redis { get; init; }

    /// <summary>How often a random node is killed with SIGKILL and restarted (--kill-node-every); null for never.</summary>
    public TimeSpan? KillNodeEvery { get; init; }

    public bool InProcessServer => Target is null;

    public bool IsCluster => Cluster is not null;
}
