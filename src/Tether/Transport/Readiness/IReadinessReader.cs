namespace Tether.Transport.Readiness;

/// <summary>Reads a socket when <see cref="SocketTransport.ArmReadable"/> says bytes may have arrived.</summary>
internal interface IReadinessReader
{
    /// <summary>
    /// Runs on the thread that noticed (usually the <see cref="ReadinessEngine"/>'s): it may handle what needs no
    /// application code (a PING, a PONG, an ACK) but must hand anything else to the thread pool, and never wait.
    /// </summary>
    void OnReadable();
}
