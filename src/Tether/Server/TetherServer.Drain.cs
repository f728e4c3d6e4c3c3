namespace Tether.Server;

public sealed partial class TetherServer
{
    /// <summary>
    /// True from the moment <see cref="StopAsync"/> begins, before the lame-duck delay and the first GOAWAY: the node
    /// still serves its clients but should get no new ones (a readiness probe reports it not ready).
    /// </summary>
    public bool IsDraining => _shutdown.IsDraining;

    /// <summary>
    /// Cancelled when <see cref="StopAsync"/> begins, before the first GOAWAY (see <see cref="IsDraining"/>). Callbacks
    /// registered on it run on the stopping thread: keep them short; one that throws is logged and counted.
    /// </summary>
    public CancellationToken Draining => _shutdown.Draining;
}
