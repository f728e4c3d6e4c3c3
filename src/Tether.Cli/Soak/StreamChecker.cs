namespace Tether.Cli.Soak;

/// <summary>
/// The bookkeeping of one numbered stream (one client, one direction). The sender records each counter the library
/// accepted; the receiver checks each counter against the next one expected: equal is in order, lower is a duplicate
/// (or, if it falls in an earlier gap, a late arrival: reordered), higher is a gap. A gap is a failure unless a session
/// reset was reported on the stream since the previous message and covers it: then the stream resynchronises and the
/// gap counts as reported loss. Thread-safe: sender, receiver and reset reports come from different threads.
/// </summary>
internal sealed class StreamChecker
{
    // Late arrivals are matched against remembered gaps; a run that keeps more gaps than this has failed long before.
    private const int MaxRememberedGaps = 4096;

    private readonly Lock _lock = new();
    private readonly List<Gap> _gaps = [];
    private long _sent;
    private long _highestSent;
    private long _expected = 1;
    private long _delivered;
    private long _lost;
    private long _duplicated;
    private long _reordered;
    private long _reportedLost;
    private long _coverage;
    private bool _coverageUnbounded;
    private bool _finished;

    /// <summary>True while a reported reset has not been followed by a delivered message yet.</summary>
    public bool ResetPending
    {
        get
        {
            lock (_lock)
            {
                return _coverageUnbounded || _coverage > 0;
            }
        }
    }

    /// <summary>Messages accepted by the sender and not delivered yet (counters after the last one delivered).</summary>
    public long Outstanding
    {
        get
        {
            lock (_lock)
            {
                return Math.Max(0, _highestSent - (_expected - 1));
            }
        }
    }

    /// <summary>The library accepted the message numbered <paramref name="counter"/> for sending.</summary>
    public void Sent(long counter)
    {
        lock (_lock)
        {
            _sent++;
            _highestSent = Math.Max(_highestSent, counter);
        }
    }

    /// <summary>
    /// A session carrying this stream was reported lost: up to <paramref name="mayHaveLost"/> messages (null: an unknown
    /// number) may be missing before the next one delivered.
    /// </summary>
    public void ResetReported(long? mayHaveLost)
    {
        lock (_lock)
        {
            if (mayHaveLost is { } count)
            {
                _coverage += Math.Max(0, count);
            }
            else
            {
                _coverageUnbounded = true;
            }
        }
    }

    /// <summary>The receiver got the message numbered <paramref name="counter"/>.</summary>
    public void Received(long counter)
    {
        lock (_lock)
        {
            if (counter == _expected)
            {
                Deliver(counter);
            }
            else if (counter > _expected)
            {
                var missing = counter - _expected;
                var reported = TakeCoverage(missing);
                RememberGap(_expected, counter - 1, reported);
                _reportedLost += reported;
                _lost += missing - reported;
                Deliver(counter);
            }
            else if (TakeFromGap(counter, out var wasReported))
            {
                // It was counted missing when a later one overtook it: delivered after all, but out of order.
                _delivered++;
                _reordered++;
                if (wasReported)
                {
                    _reportedLost--;
                }
                else
                {
                    _lost--;
                }
            }
            else
            {
                _duplicated++;
            }
        }
    }

    /// <summary>The figures so far, without judging what is still in flight.</summary>
    public StreamCounts Snapshot()
    {
        lock (_lock)
        {
            return new StreamCounts(_sent, _delivered, _lost, _duplicated, _reordered, _reportedLost);
        }
    }

    /// <summary>
    /// The final figures, once sending has stopped and the link has settled: every message accepted and never delivered
    /// is lost, unless a reset reported since the last delivery covers it. Later calls return the same figures.
    /// </summary>
    public StreamCounts Finish()
    {
        lock (_lock)
        {
            if (!_finished)
            {
                _finished = true;
                var tail = _highestSent - (_expected - 1);
                if (tail > 0)
                {
                    var reported = TakeCoverage(tail);
                    _reportedLost += reported;
                    _lost += tail - reported;
                    RememberGap(_expected, _highestSent, reported);
                    _expected = _highestSent + 1;
                }
            }

            return new StreamCounts(_sent, _delivered, _lost, _duplicated, _reordered, _reportedLost);
        }
    }

    private void Deliver(long counter)
    {
        _delivered++;
        _expected = counter + 1;
        // A reset explains a gap up to the next delivery only; what goes missing after that is a new loss.
        _coverage = 0;
        _coverageUnbounded = false;
    }

    private long TakeCoverage(long missing)
    {
        if (_coverageUnbounded)
        {
            return missing;
        }

        var covered = Math.Min(missing, _coverage);
        _coverage -= covered;
        return covered;
    }

    /// <summary>Remembers [first, last]; its first <paramref name="reported"/> counters are the reported ones (the oldest went down with the lost session).</summary>
    private void RememberGap(long first, long last, long reported)
    {
        if (reported > 0)
        {
            _gaps.Add(new Gap(first, first + reported - 1, Reported: true));
        }

        if (first + reported <= last)
        {
            _gaps.Add(new Gap(first + reported, last, Reported: false));
        }

        if (_gaps.Count > MaxRememberedGaps)
        {
            _gaps.RemoveRange(0, _gaps.Count - MaxRememberedGaps);
        }
    }

    private bool TakeFromGap(long counter, out bool reported)
    {
        for (var i = _gaps.Count - 1; i >= 0; i--)
        {
            var gap = _gaps[i];
            if (counter < gap.First || counter > gap.Last)
            {
                continue;
            }

            reported = gap.Reported;
            _gaps.RemoveAt(i);
            if (counter < gap.Last)
            {
                _gaps.Insert(i, gap with { First = counter + 1 });
            }

            if (counter > gap.First)
            {
                _gaps.Insert(i, gap with { Last = counter - 1 });
            }

            return true;
        }

        reported = false;
        return false;
    }

    private readonly record struct Gap(long First, long Last, bool Reported);
}
