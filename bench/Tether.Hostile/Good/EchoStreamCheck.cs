namespace Tether.Hostile.Good;

/// <summary>
/// Checks one client's stream of echoes, numbered from 1: each number exactly once and in order. A number ahead of
/// the next expected one counts the skipped ones as lost; one behind it counts as duplicated (a late, reordered echo
/// is counted there too: either breaks the promise of in-order, exactly-once delivery).
/// </summary>
internal sealed class EchoStreamCheck
{
    private readonly Lock _gate = new();
    private ulong _next = 1;
    private long _echoed;
    private long _skipped;
    private long _duplicated;
    private ulong _awaited = ulong.MaxValue;
    private TaskCompletionSource? _caughtUp;

    public void Observe(ulong number)
    {
        lock (_gate)
        {
            _echoed++;
            if (number == _next)
            {
                _next++;
            }
            else if (number < _next)
            {
                _duplicated++;
            }
            else
            {
                _skipped += (long)(number - _next);
                _next = number + 1;
            }

            if (_next > _awaited)
            {
                _caughtUp?.TrySetResult();
            }
        }
    }

    /// <summary>An echo that is not one of the messages sent: counted with the duplicates, as unexpected.</summary>
    public void ObserveForeign()
    {
        lock (_gate)
        {
            _echoed++;
            _duplicated++;
        }
    }

    /// <summary>Completes once the echo of <paramref name="number"/> (or a later one) has arrived.</summary>
    public Task WaitForAsync(ulong number, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_next > number)
            {
                return Task.CompletedTask;
            }

            _awaited = number;
            _caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _caughtUp.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The counts, given how many messages were sent.</summary>
    public EchoCounts Count(long sent)
    {
        lock (_gate)
        {
            var inOrder = (long)(_next - 1) - _skipped;
            return new EchoCounts(sent, _echoed, Lost: sent - inOrder, _duplicated);
        }
    }
}
