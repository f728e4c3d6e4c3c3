namespace Tether.Admin.Dashboard;

/// <summary>The last <c>capacity</c> samples, oldest overwritten first; safe for one writer and many readers.</summary>
internal sealed class SampleRing(int capacity)
{
    private readonly DashboardSample[] _items = new DashboardSample[capacity];
    private readonly Lock _lock = new();
    private long _count;

    /// <summary>The sequence number the next sample gets (samples are numbered from 1).</summary>
    public long NextSequence
    {
        get
        {
            lock (_lock)
            {
                return _count + 1;
            }
        }
    }

    public void Add(DashboardSample sample)
    {
        lock (_lock)
        {
            _items[_count % _items.Length] = sample;
            _count++;
        }
    }

    /// <summary>The samples numbered after <paramref name="afterSequence"/> that are still kept, oldest first.</summary>
    public IReadOnlyList<DashboardSample> After(long afterSequence)
    {
        lock (_lock)
        {
            var first = Math.Max(Math.Max(afterSequence, 0), _count - _items.Length);
            var result = new List<DashboardSample>((int)Math.Max(0, _count - first));
            for (var i = first; i < _count; i++)
            {
                result.Add(_items[i % _items.Length]);
            }

            return result;
        }
    }
}
