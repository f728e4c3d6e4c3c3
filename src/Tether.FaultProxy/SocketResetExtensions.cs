using System.Net.Sockets;

namespace Tether.FaultProxy;

internal static class SocketResetExtensions
{
    /// <summary>Closes <paramref name="socket"/> abortively, so the peer gets a RST rather than a FIN.</summary>
    public static void ResetAndDispose(this Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already reset by the peer or already closed: closing is all that is left to do.
        }

        socket.Dispose();
    }
}
