using System.Runtime.InteropServices;

namespace Tether.Transport.Readiness;

/// <summary>The three epoll calls the readiness engine needs (Linux only).</summary>
internal static unsafe partial class EpollInterop
{
    public const int CloseOnExec = 0x80000;
    public const int ControlAdd = 1;
    public const uint In = 0x001;
    public const uint Error = 0x008;
    public const uint HangUp = 0x010;
    public const uint ReadHangUp = 0x2000;
    public const uint EdgeTriggered = 1u << 31;
    public const int Interrupted = 4;

    private const string LibC = "libc.so.6";

    /// <summary>
    /// Size of one <c>struct epoll_event</c>: the kernel packs it (12 bytes) on x86-64 only; elsewhere the 64-bit data
    /// field is aligned (16 bytes).
    /// </summary>
    public static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    /// <summary>Offset of the data field within <c>struct epoll_event</c>.</summary>
    public static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    [LibraryImport(LibC, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int Create(int flags);

    [LibraryImport(LibC, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int Control(int epollFd, int operation, int fd, byte* epollEvent);

    [LibraryImport(LibC, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int Wait(int epollFd, byte* events, int maxEvents, int timeoutMs);

    [LibraryImport(LibC, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);
}
