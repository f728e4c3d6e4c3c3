namespace Tether.Transport;

/// <summary>How connections wait for and move bytes. Every kind carries TLS and every feature above it the same way.</summary>
public enum TransportKind
{
    /// <summary>
    /// <see cref="Epoll"/> where it is available (Linux with glibc), otherwise <see cref="Portable"/>. The environment
    /// variable <c>TETHER_TRANSPORT</c> (<c>epoll</c> or <c>portable</c>) overrides the choice. If the readiness engine
    /// fails, later connections use <see cref="Portable"/>.
    /// </summary>
    Auto,

    /// <summary>
    /// One epoll instance and thread for the process; an idle connection holds no buffer, no pending operation and no
    /// runtime socket context. Linux only: asking for it elsewhere fails at start.
    /// </summary>
    Epoll,

    /// <summary>
    /// The runtime's <see cref="System.Net.Sockets.Socket"/> with zero-byte receives: works wherever .NET does, and an
    /// idle connection still holds no receive buffer (it costs the runtime's per-socket asynchronous state instead).
    /// </summary>
    Portable,
}
