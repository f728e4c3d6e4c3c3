namespace Tether.Server;

public sealed partial class TetherServer
{
    /// <summary>
    /// True while the server can serve its connections: started, every accept loop running, and through a graceful
    /// stop (<see cref="IsDraining"/>) until it has finished. A liveness probe reports this.
    /// </summary>
    public bool IsServing => !_shutdown.Completed.IsCompleted && (_acceptor.IsAccepting || (_shutdown.IsDraining && Volatile.Read(ref _started) == 1));

    /// <summary>
    /// With <see cref="TetherServerOptions.ScaleOut"/>: whether this node's connection to Redis is up (false before
    /// <see cref="StartAsync"/>). Null for a single node, which needs no Redis.
    /// </summary>
    public bool? IsScaleOutConnected => Cluster?.IsConnected;
}
