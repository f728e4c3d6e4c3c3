using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Tether.Transport.Readiness;

/// <summary>
/// One epoll instance and one thread that tell sockets when they become readable. It exists so that an idle connection
/// costs a registration (a slot in a table) instead of the runtime's per-socket asynchronous machinery: a socket
/// context, a receive event-args object, an operation and a pinned continuation, about 650 bytes each, kept for as long
/// as a zero-byte receive is pending. Sockets are registered edge-triggered for input and hang-up; a transport is told
/// "something happened", and its owner reads with non-blocking receives until the kernel has nothing more (or one came
/// back short of what it asked for, which with edge triggering says the same). Linux only: elsewhere
/// <see cref="Shared"/> is null and the portable transport is used. If <c>epoll_wait</c> ever fails for good, the engine
/// tells every registered transport (whose next receive then fails with <see cref="FailureMessage"/>) and whoever
/// listens to <see cref="Failed"/>, and takes no new registrations.
/// </summary>
internal sealed unsafe class ReadinessEngine
{
    private const int MaxEventsPerWait = 1024;
    private const uint GenerationMask = 0xFFFFFF;
    private static readonly Lazy<ReadinessEngine?> Instance = new(TryCreate);

    // Every engine by index, so that a registration token names its engine and a transport need not keep a reference
    // to it (8 bytes on every idle connection). A process has one engine; tests make a few more.
    private static readonly ReadinessEngine?[] Engines = new ReadinessEngine?[256];
    private static int _enginesCreated;

    private readonly int _epollFd;
    private readonly Lock _slotsLock = new();
    private readonly Stack<int> _freeSlots = new();
    private Slot[] _slots = new Slot[1024];
    private int _slotsUsed;
    private int _failedErrno;
    private Action<int>? _failed;

    private readonly int _index;

    private ReadinessEngine(int epollFd, int index)
    {
        _epollFd = epollFd;
        _index = index;
        Engines[index] = this;
        var thread = new Thread(Run) { IsBackground = true, Name = "Tether readiness" };
        thread.UnsafeStart();
    }

    /// <summary>The process-wide engine, or null where epoll is unavailable.</summary>
    public static ReadinessEngine? Shared => Instance.Value;

    /// <summary>True once <c>epoll_wait</c> failed for good: new sockets must use another transport.</summary>
    public bool HasFailed => Volatile.Read(ref _failedErrno) != 0;

    /// <summary>
    /// Raised once, on the engine's thread, with the <c>errno</c> of a fatal <c>epoll_wait</c> failure; a subscriber that
    /// comes later is called at once.
    /// </summary>
    public event Action<int>? Failed
    {
        add
        {
            int errno;
            lock (_slotsLock)
            {
                errno = _failedErrno;
                if (errno == 0)
                {
                    _failed += value;
                    return;
                }
            }

            value?.Invoke(errno);
        }

        remove
        {
            lock (_slotsLock)
            {
                _failed -= value;
            }
        }
    }

    /// <summary>What a connection is told when the engine that watched it failed.</summary>
    public static string FailureMessage(int errno) =>
        $"the readiness engine stopped (epoll_wait failed: {new SocketException(errno).Message}, errno {errno})";

    /// <summary>A new engine with its own epoll instance and thread, or null where epoll is unavailable.</summary>
    public static ReadinessEngine? TryCreate()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var index = Interlocked.Increment(ref _enginesCreated) - 1;
            if (index >= Engines.Length)
            {
                return null;
            }

            var fd = EpollInterop.Create(EpollInterop.CloseOnExec);
            return fd < 0 ? null : new ReadinessEngine(fd, index);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Registers <paramref name="socket"/>; returns the token that <see cref="Unregister"/> takes.</summary>
    public long Register(SafeSocketHandle socket, EpollTransport listener)
    {
        int slot;
        uint generation;
        lock (_slotsLock)
        {
            if (_failedErrno != 0)
            {
                throw new IOException(FailureMessage(_failedErrno));
            }

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

        var token = ((long)_index << 56) | ((long)(generation & GenerationMask) << 32) | (uint)slot;
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
            if (entry.Generation != GenerationOf(token))
            {
                return;
            }

            entry.Listener = null;
            entry.Generation = (entry.Generation + 1) & GenerationMask;
            _freeSlots.Push(slot);
        }
    }

    /// <summary>Forgets a registration made with any engine: the token names the engine.</summary>
    public static void UnregisterAny(long token) => Engines[(int)((ulong)token >> 56)]?.Unregister(token);

    private static uint GenerationOf(long token) => (uint)(token >> 32) & GenerationMask;

    /// <summary>For tests of the failure path: closes the epoll instance under the engine's thread, whose wait then fails.</summary>
    internal void BreakForTests() => EpollInterop.Close(_epollFd);

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
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EpollInterop.Interrupted)
                {
                    continue;
                }

                Fail(errno);
                NativeMemory.Free(events);
                return;
            }

            var slots = Volatile.Read(ref _slots);
            for (var i = 0; i < count; i++)
            {
                var flags = *(uint*)(events + (i * size));
                var token = *(long*)(events + (i * size) + dataOffset);
                var slot = (int)(uint)token;
                if (slot < slots.Length && slots[slot].Generation == GenerationOf(token))
                {
                    slots[slot].Listener?.OnReadable((flags & (EpollInterop.ReadHangUp | EpollInterop.HangUp | EpollInterop.Error)) != 0);
                }
            }
        }
    }

    /// <summary>
    /// Nothing will report on any registered socket again: every transport is told (its next receive fails with the
    /// reason, so its connection closes and says why instead of dying silently at its heartbeat timeout), and so is
    /// whoever subscribed to <see cref="Failed"/> (a server logs it and counts it).
    /// </summary>
    private void Fail(int errno)
    {
        Action<int>? failed;
        EpollTransport?[] listeners;
        lock (_slotsLock)
        {
            _failedErrno = errno == 0 ? -1 : errno;
            failed = _failed;
            _failed = null;
            listeners = new EpollTransport?[_slotsUsed];
            for (var i = 0; i < _slotsUsed; i++)
            {
                listeners[i] = _slots[i].Listener;
            }
        }

        failed?.Invoke(_failedErrno);
        foreach (var listener in listeners)
        {
            listener?.OnEngineFailed(_failedErrno);
        }
    }

    private struct Slot
    {
        // The transport itself, not an interface: a direct call on every readiness report instead of a dispatch stub.
        public EpollTransport? Listener;
        public uint Generation;
    }
}
