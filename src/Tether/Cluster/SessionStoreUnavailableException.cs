namespace Tether.Cluster;

/// <summary>The session store could not store or load a session: the handshake is refused with SERVER_BUSY.</summary>
internal sealed class SessionStoreUnavailableException(string message, Exception? inner) : Exception(message, inner);
