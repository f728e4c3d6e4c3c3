using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Tether.Transport.Tls;

/// <summary>
/// Two connected local stream sockets (<c>socketpair(AF_UNIX, SOCK_STREAM)</c>): what one end sends, the other receives.
/// A TLS connection hands one end to the ordinary <see cref="SocketTransport"/> and pumps the other through an
/// <see cref="System.Net.Security.SslStream"/>, so framing, heartbeats, sessions and the readiness engine work the same
/// with and without TLS.
/// </summary>
internal static partial class SocketPair
{
    private const int LocalFamily = 1;
    private const int Stream = 1;
    private const int CloseOnExec = 0x80000;

    public static (Socket First, Socket Second) Create()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("TLS connections need socketpair(2), which Tether supports on Linux only.");
        }

        Span<int> descriptors = stackalloc int[2];
        if (CreateNative(LocalFamily, Stream | CloseOnExec, 0, ref MemoryMarshal.GetReference(descriptors)) != 0)
        {
            throw new SocketException(Marshal.GetLastPInvokeError());
        }

        var first = new Socket(new SafeSocketHandle(descriptors[0], ownsHandle: true));
        Socket second;
        try
        {
            second = new Socket(new SafeSocketHandle(descriptors[1], ownsHandle: true));
        }
        catch
        {
            first.Dispose();
            throw;
        }

        return (first, second);
    }

    [LibraryImport("libc.so.6", EntryPoint = "socketpair", SetLastError = true)]
    private static partial int CreateNative(int domain, int type, int protocol, ref int descriptors);
}
