namespace Tether.LoadGen;

/// <summary>
/// One latency histogram and message counter per thread, so that the hot path records without atomics or sharing
/// cache lines; <see cref="Merge"/> adds them up once the run has stopped recording.
/// </summary>
internal sealed class ThreadLatency
{
    [ThreadStatic]
    private static Slot? _threadSlot;

    private readonly Lock _lock = new();
    private readonly List<Slot> _slots = [];

    /// <summary>The calling thread's slot of this instance (created on first use).</summary>
    public Slot Current
    {
        get
        {
            var slot = _threadSlot;
            if (slot is not null && slot.Owner == this)
            {
                return slot;
            }

            return Register();
        }
    }

    /// <summary>All threads' values added up. Call after recording has stopped (values still in flight may be missed).</summary>
    public Slot Merge()
    {
        var total = new Slot(this);
        lock (_lock)
        {
            foreach (var slot in _slots)
            {
                total.Histogram.Add(slot.Histogram);
                total.Messages += slot.Messages;
            }
        }

        return total;
    }

    /// <summary>Messages counted so far by all threads (a racy but harmless read, for progress lines).</summary>
    public long PeekMessages()
    {
        long total = 0;
        lock (_lock)
        {
            foreach (var slot in _slots)
            {
                total += slot.Messages;
            }
        }

        return total;
    }

    private Slot Register()
    {
        var slot = new Slot(this);
        lock (_lock)
        {
            _slots.Add(slot);
        }

        _threadSlot = slot;
        return slot;
    }

    /// <summary>One thread's histogram and counter.</summary>
    internal sealed class Slot(ThreadLatency owner)
    {
        public ThreadLatency Owner { get; } = owner;

        public LatencyHistogram Histogram { get; } = new();

        public long Messages { get; set; }
    }
}
