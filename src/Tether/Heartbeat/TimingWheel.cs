using Microsoft.Extensions.Logging;

namespace Tether.Heartbeat;

/// <summary>
/// One hashed timing wheel for all connections of a server: handshake deadlines, pings and heartbeat timeouts.
/// Connections do not own timers; they only record when they last sent and received, and the wheel visits each one
/// around its earliest possible deadline, re-evaluates it with <see cref="LivenessRule"/> and reschedules it. Work per
/// tick is proportional to the entries due in that slot: O(1) per connection per visit.
/// </summary>
internal sealed partial class TimingWheel : IAsyncDisposable
{
    private readonly TimeProvider _time;
    private readonly long _tickTimestamps;
    private readonly IWheelEntry?[] _slots;
    private readonly int _mask;
    private readonly Lock _lock = new();
    private readonly Lock _advanceLock = new();
    private readonly long _origin;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<IWheelEntry> _due = [];
    private long _currentTick;
    private Task? _loop;
    private int _count;

    public TimingWheel(TimeSpan tick, TimeProvider time, ILogger logger, int slotCount = 1024)
    {
        if (!int.IsPow2(slotCount))
        {
            throw new ArgumentOutOfRangeException(nameof(slotCount), "the slot count must be a power of two");
        }

        _time = time;
        _logger = logger;
        Tick = tick;
        _tickTimestamps = Math.Max(1, (long)(tick.TotalSeconds * time.TimestampFrequency));
        _slots = new IWheelEntry?[slotCount];
        _mask = slotCount - 1;
        _origin = time.GetTimestamp();
    }

    public TimeSpan Tick { get; }

    /// <summary>Entries currently scheduled (for metrics and tests).</summary>
    public int Count => Volatile.Read(ref _count);

    public void Start() => _loop ??= RunAsync(_stop.Token);

    /// <summary>Schedules (or reschedules) <paramref name="entry"/> to be visited at <paramref name="dueTimestamp"/> or within one tick after.</summary>
    public void Schedule(IWheelEntry entry, long dueTimestamp)
    {
        lock (_lock)
        {
            if (entry.WheelLinks.Removed)
            {
                return;
            }

            Unlink(entry);
            var dueTick = (dueTimestamp - _origin + _tickTimestamps - 1) / _tickTimestamps;
            var earliest = _currentTick + 1;
            var latest = _currentTick + _slots.Length - 1;
            dueTick = Math.Clamp(dueTick, earliest, latest);
            Link(entry, (int)(dueTick & _mask));
        }
    }

    /// <summary>Takes <paramref name="entry"/> off the wheel for good.</summary>
    public void Remove(IWheelEntry entry)
    {
        lock (_lock)
        {
            entry.WheelLinks.Removed = true;
            Unlink(entry);
        }
    }

    /// <summary>Processes every tick up to now. Called by the loop; tests may call it after advancing a fake clock.</summary>
    internal void Advance()
    {
        lock (_advanceLock)
        {
            AdvanceCore();
        }
    }

    private void AdvanceCore()
    {
        var now = _time.GetTimestamp();
        var targetTick = (now - _origin) / _tickTimestamps;
        while (true)
        {
            lock (_lock)
            {
                if (_currentTick >= targetTick)
                {
                    return;
                }

                _currentTick++;
                var slot = (int)(_currentTick & _mask);
                for (var entry = _slots[slot]; entry is not null; entry = entry.WheelLinks.Next)
                {
                    _due.Add(entry);
                }

                foreach (var entry in _due)
                {
                    Unlink(entry);
                }
            }

            foreach (var entry in _due)
            {
                Visit(entry, now);
            }

            _due.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private void Visit(IWheelEntry entry, long now)
    {
        long next;
        try
        {
            next = entry.OnWheelDue(now);
        }
        catch (Exception ex)
        {
            LogEntryFailed(_logger, ex);
            return;
        }

        if (next != long.MaxValue)
        {
            Schedule(entry, next);
        }
    }

    private Task RunAsync(CancellationToken cancellationToken) =>
        ReferenceEquals(_time, TimeProvider.System) ? RunOnOwnThread(cancellationToken) : RunOnTimerAsync(cancellationToken);

    /// <summary>
    /// On the system clock the wheel ticks on a thread of its own, asleep between ticks. A periodic timer costs two
    /// thread wake-ups a tick (the runtime's timer thread, then a pool worker for the continuation) and keeps the
    /// pool's gate thread polling, which idle connections pay for in CPU (docs/benchmarks.md, "Runtime settings").
    /// </summary>
    private Task RunOnOwnThread(CancellationToken cancellationToken)
    {
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                TickUntilStopped(cancellationToken);
                ended.SetResult();
            }
            catch (Exception ex)
            {
                ended.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "Tether wheel",
        };
        thread.UnsafeStart();
        return ended.Task;
    }

    private void TickUntilStopped(CancellationToken cancellationToken)
    {
        // No spinning before blocking: the next tick is a fraction of a second away, never a few microseconds.
        using var stopped = new ManualResetEventSlim(false, spinCount: 0);
        using var registration = cancellationToken.UnsafeRegister(static state => ((ManualResetEventSlim)state!).Set(), stopped);
        var next = _time.GetTimestamp() + _tickTimestamps;
        while (!stopped.Wait(TimeSpan.FromSeconds(Math.Max(0, next - _time.GetTimestamp()) / (double)_time.TimestampFrequency), CancellationToken.None))
        {
            Advance();
            next += _tickTimestamps;
            var now = _time.GetTimestamp();
            if (next <= now)
            {
                // Behind by a tick or more (a paused process, a loaded machine): Advance caught up; tick from now.
                next = now + _tickTimestamps;
            }
        }
    }

    private async Task RunOnTimerAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Tick, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                Advance();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Link(IWheelEntry entry, int slot)
    {
        ref var links = ref entry.WheelLinks;
        var head = _slots[slot];
        links.Next = head;
        links.Previous = null;
        if (head is not null)
        {
            head.WheelLinks.Previous = entry;
        }

        _slots[slot] = entry;
        links.Slot = slot;
        _count++;
    }

    private void Unlink(IWheelEntry entry)
    {
        ref var links = ref entry.WheelLinks;
        if (links.Slot < 0)
        {
            return;
        }

        if (links.Previous is not null)
        {
            links.Previous.WheelLinks.Next = links.Next;
        }
        else
        {
            _slots[links.Slot] = links.Next;
        }

        if (links.Next is not null)
        {
            links.Next.WheelLinks.Previous = links.Previous;
        }

        links.Next = null;
        links.Previous = null;
        links.Slot = -1;
        _count--;
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "A timing wheel entry failed; it was taken off the wheel")]
    private static partial void LogEntryFailed(ILogger logger, Exception exception);
}
