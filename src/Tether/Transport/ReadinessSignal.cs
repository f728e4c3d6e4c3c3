using Tether.Transport.Readiness;

namespace Tether.Transport;

/// <summary>
/// Meets "bytes may have arrived" (from the readiness engine, a zero-byte receive or a TLS read) with whoever waits to
/// read: an awaiting handshake or client loop (<see cref="WaitAsync"/>), or an armed server connection that holds no
/// state machine while idle (<see cref="Arm"/>). A signal that comes while nobody waits is remembered for the next wait.
/// A struct inside the transport: an idle connection pays for its fields, not for another object.
/// </summary>
internal struct ReadinessSignal
{
    private const int Idle = 0;
    private const int Signaled = 1;
    private const int Awaited = 2;
    private const int Callback = 3;

    private int _state;
    private ReadableAwaiter? _awaiter;
    private IReadinessReader? _reader;

    /// <summary>True while a reader is armed and no signal has come since.</summary>
    public readonly bool IsArmed => Volatile.Read(in _state) == Callback;

    /// <summary>Completes at the next signal, or at once when one was remembered (<paramref name="remembered"/> then says so).</summary>
    public ValueTask<int> WaitAsync(out bool remembered)
    {
        var wait = (_awaiter ??= new ReadableAwaiter()).Begin();
        if (Interlocked.CompareExchange(ref _state, Awaited, Idle) == Signaled)
        {
            Volatile.Write(ref _state, Idle);
            remembered = true;
            return new ValueTask<int>(0);
        }

        remembered = false;
        return wait;
    }

    /// <summary>True when <paramref name="reader"/> will be called at the next signal; false when one was remembered (read now).</summary>
    public bool Arm(IReadinessReader reader)
    {
        _awaiter = null;
        _reader = reader;
        if (Interlocked.CompareExchange(ref _state, Callback, Idle) == Signaled)
        {
            Volatile.Write(ref _state, Idle);
            return false;
        }

        return true;
    }

    /// <summary>Wakes the waiter or the armed reader, or remembers the signal.</summary>
    public void Signal()
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Signaled:
                    return;
                case Idle when Interlocked.CompareExchange(ref _state, Signaled, Idle) == Idle:
                    return;
                case Awaited when Interlocked.CompareExchange(ref _state, Idle, Awaited) == Awaited:
                    _awaiter!.Complete();
                    return;
                case Callback when Interlocked.CompareExchange(ref _state, Idle, Callback) == Callback:
                    _reader!.OnReadable();
                    return;
            }
        }
    }
}
