using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Tether.Transport.Readiness;

/// <summary>
/// Non-blocking <c>recv</c> and <c>send</c> on a socket the runtime considers blocking. The runtime's own non-blocking
/// mode (<see cref="Socket.Blocking"/> = false), and its synchronous calls on a blocking socket, both create the
/// per-socket asynchronous context this transport exists to avoid; so with the <see cref="ReadinessEngine"/> the socket
/// is switched to O_NONBLOCK here and read and written here. The handle is referenced for the duration of each call, so
/// a concurrent close can never make a call land on a reused descriptor.
/// </summary>
internal static unsafe partial class SocketSyscalls
{
    private const string LibC = "libc.so.6";
    private const int GetFlags = 3;
    private const int SetFlags = 4;
    private const int NonBlocking = 0x800;
    private const int NoSignal = 0x4000;
    private const int PeekFlag = 0x2;

    public static void SetNonBlocking(SafeHandle handle)
    {
        using var lease = new FdLease(handle);
        var flags = Fcntl(lease.Fd, GetFlags, 0);
        if (flags < 0 || Fcntl(lease.Fd, SetFlags, flags | NonBlocking) < 0)
        {
            throw new SocketException((int)ToSocketError(Marshal.GetLastPInvokeError()));
        }
    }

    /// <summary>One <c>recv</c>: <see cref="SocketError.WouldBlock"/> when nothing is there; 0 bytes at end of stream.</summary>
    public static SocketError Receive(SafeHandle handle, Span<byte> buffer, out int received)
    {
        fixed (byte* pointer = buffer)
        {
            return Transfer(handle, pointer, buffer.Length, send: false, out received);
        }
    }

    /// <summary>
    /// One <c>recv</c> with MSG_PEEK of a single byte: true when bytes or the end of the stream are there (the next
    /// receive returns at once), false on <see cref="SocketError.WouldBlock"/>. Nothing is consumed.
    /// </summary>
    public static SocketError Peek(SafeHandle handle, out bool ready)
    {
        byte one;
        var error = Transfer(handle, &one, 1, send: false, out _, PeekFlag);
        ready = error == SocketError.Success;
        return error == SocketError.WouldBlock ? SocketError.Success : error;
    }

    /// <summary>One <c>send</c>: how much the kernel took, or <see cref="SocketError.WouldBlock"/> when its buffer is full.</summary>
    public static SocketError Send(SafeHandle handle, ReadOnlySpan<byte> buffer, out int sent)
    {
        fixed (byte* pointer = buffer)
        {
            return Transfer(handle, pointer, buffer.Length, send: true, out sent);
        }
    }

    /// <summary><c>shutdown</c>: throws <see cref="SocketException"/> (for example when not connected any more).</summary>
    public static void Shutdown(SafeHandle handle, SocketShutdown how)
    {
        using var lease = new FdLease(handle);

        // SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2, the same values as SocketShutdown.
        if (ShutdownNative(lease.Fd, (int)how) != 0)
        {
            throw new SocketException((int)ToSocketError(Marshal.GetLastPInvokeError()));
        }
    }

    private static SocketError Transfer(SafeHandle handle, byte* pointer, int length, bool send, out int count, int receiveFlags = 0)
    {
        using var lease = new FdLease(handle);
        while (true)
        {
            var result = send ? SendNative(lease.Fd, pointer, (nuint)length, NoSignal) : Recv(lease.Fd, pointer, (nuint)length, receiveFlags);
            if (result >= 0)
            {
                count = (int)result;
                return SocketError.Success;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Interrupted)
            {
                count = 0;
                return ToSocketError(errno);
            }
        }
    }

    private const int Interrupted = 4;

    private static SocketError ToSocketError(int errno) => errno switch
    {
        11 => SocketError.WouldBlock,
        32 => SocketError.Shutdown,
        101 => SocketError.NetworkUnreachable,
        103 => SocketError.ConnectionAborted,
        104 => SocketError.ConnectionReset,
        107 => SocketError.NotConnected,
        110 => SocketError.TimedOut,
        113 => SocketError.HostUnreachable,
        9 => SocketError.OperationAborted,
        _ => SocketError.SocketError,
    };

    /// <summary>
    /// The descriptor, referenced for the duration of one call: a concurrent close waits for it, so the call can never
    /// land on a descriptor number the kernel has meanwhile given to another socket. Throws ObjectDisposedException
    /// when the handle is already closed.
    /// </summary>
    private readonly ref struct FdLease
    {
        private readonly SafeHandle _handle;

        public FdLease(SafeHandle handle)
        {
            var added = false;
            handle.DangerousAddRef(ref added);
            _handle = handle;
            Fd = (int)handle.DangerousGetHandle();
        }

        public int Fd { get; }

        public void Dispose() => _handle.DangerousRelease();
    }

    [LibraryImport(LibC, EntryPoint = "recv", SetLastError = true)]
    private static partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(LibC, EntryPoint = "send", SetLastError = true)]
    private static partial nint SendNative(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(LibC, EntryPoint = "shutdown", SetLastError = true)]
    private static partial int ShutdownNative(int fd, int how);

    [LibraryImport(LibC, EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);
}
