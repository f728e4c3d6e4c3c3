using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Tether.Transport.Readiness;

/// <summary>
/// One epoll instance and one thread that tell sockets when they become readable. It exists so that an idle connection
/// costs a registration (a slot in a table) instead of the runtime's per-socket asynchronous machinery: a socket
/// context, a receive event-args object, an operation and a pinned continuation, about 650 bytes each, kept for as long
/// as a zero-byte receive is pending. Sockets are registered edge-triggered for input and hang-up; a transport is told
/// "something happened", and its owner reads with non-blocking receives until the kernel has nothing more (or one came
/// back short of what it asked for, which with edge triggering says the same). Linux only:
/// elsewhere <see cref="Shared"/> is null and transports wait with the runtime's zero-byte receive.
/// </summary>
internal sealed unsafe class ReadinessEngine
{
    private const int MaxEventsPerWait = 1024;
    private static readonly Lazy<ReadinessEngine?> Instance = new(Create);

    private readonly int _epollFd;
    private readonly Lock _slotsLock = new();
    private readonly Stack<int> _freeSlots = new();
    private Slot[] _slots = new Slot[1024];
    private int _slotsUsed;

    private ReadinessEngine(int epollFd)
    {
        _epollFd = epollFd;
        var thread = new Thread(Run) { IsBackground = true, Name = "Tether readiness" };
        thread.UnsafeStart();
    }

    /// <summary>
    /// The process-wide engine, or null where epoll is unavailable or the switch
    /// <c>Tether.Transport.UseEpoll</c> (environment <c>TETHER_EPOLL=0</c>) turns it off.
    /// </summary>
    public static ReadinessEngine? Shared => Instance.Value;

    /// <summary>Registers <paramref name="socket"/>; returns the token that <see cref="Unregister"/> takes.</summary>
    public long Register(SafeSocketHandle socket, SocketTransport listener)
    {
        int slot;
        uint generation;
        lock (_slotsLock)
        {
            if (!_freeSlots.TryPop(out slot))
            {
                slot = _slotsUsed++;
                if (slot == _slots.Length)
                {
                    // The engine thread may be reading the old array: it sees every slot published before the epoll_ctl
                    // that made the kernel report on it, so copying then publishing is enough.
                    var larger = new Slot[_slots.Length * 2];
                    Array.Copy(_slots, larger, _slots.Length);
                    Volatile.Write(ref _slots, larger);
                }
            }

            generation = _slots[slot].Generation;
            _slots[slot].Listener = listener;
        }

        var token = ((long)generation << 32) | (uint)slot;
        var epollEvent = stackalloc byte[16];
        *(uint*)epollEvent = EpollInterop.In | EpollInterop.ReadHangUp | EpollInterop.EdgeTriggered;
        *(long*)(epollEvent + EpollInterop.DataOffset) = token;
        var fd = (int)socket.DangerousGetHandle();
        if (EpollInterop.Control(_epollFd, EpollInterop.ControlAdd, fd, epollEvent) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            Unregister(token);
            throw new SocketException(errno);
        }

        return token;
    }

    /// <summary>
    /// Forgets a registration. The kernel drops the socket from the epoll set when it is closed; an event already on
    /// its way for this slot is ignored because the slot's generation changes.
    /// </summary>
    public void Unregister(long token)
    {
        var slot = (int)(uint)token;
        lock (_slotsLock)
        {
            ref var entry = ref _slots[slot];
            if (entry.Generation != (uint)(token >> 32))
            {
                return;
            }

            entry.Listener = null;
            entry.Generation++;
            _freeSlots.Push(slot);
        }
    }

    private static ReadinessEngine? Create()
    {
        var disabled = AppContext.TryGetSwitch("Tether.Transport.UseEpoll", out var useEpoll)
            ? !useEpoll
            : Environment.GetEnvironmentVariable("TETHER_EPOLL") == "0";
        if (disabled || !OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var fd = EpollInterop.Create(EpollInterop.CloseOnExec);
            return fd < 0 ? null : new ReadinessEngine(fd);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private void Run()
    {
        var size = EpollInterop.EventSize;
        var dataOffset = EpollInterop.DataOffset;
        var events = (byte*)NativeMemory.Alloc((nuint)(MaxEventsPerWait * size));
        while (true)
        {
            var count = EpollInterop.Wait(_epollFd, events, MaxEventsPerWait, -1);
            if (count < 0)
            {
                if (Marshal.GetLastPInvokeError() == EpollInterop.Interrupted)
                {
                    continue;
                }

                // Nothing sensible is left to do on this thread; sockets fall back to noticing errors on send.
                return;
            }

            var slots = Volatile.Read(ref _slots);
            for (var i = 0; i < count; i++)
            {
                var flags = *(uint*)(events + (i * size));
                var token = *(long*)(events + (i * size) + dataOffset);
                var slot = (int)(uint)token;
                if (slot < slots.Length && slots[slot].Generation == (uint)(token >> 32))
                {
                    slots[slot].Listener?.OnReadable((flags & (EpollInterop.ReadHangUp | EpollInterop.HangUp | EpollInterop.Error)) != 0);
                }
            }
        }
    }

    private struct Slot
    {
        // The transport itself, not an interface: a direct call on every readiness report instead of a dispatch stub.
        public SocketTransport? Listener;
        public uint Generation;
    }
}
