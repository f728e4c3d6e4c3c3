using System.Threading.Channels;

namespace Tether.Client;

/// <summary>
/// Runs a client's event handlers one at a time, in the order they were posted, on a task of their own: a handler that
/// is slow holds up only the handlers behind it, and one that throws is reported and skipped. Neither can stall or end
/// the reconnect loop that posts them.
/// </summary>
internal sealed class CallbackQueue
{
    private static readonly AsyncLocal<CallbackQueue?> Running = new();

    private readonly Channel<(string? Name, Action Callback)> _queue =
        Channel.CreateUnbounded<(string?, Action)>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });

    private readonly Action<string, Exception> _failed;
    private readonly Task _run;

    /// <param name="failed">Told the callback's name and its exception when one throws.</param>
    public CallbackQueue(Action<string, Exception> failed)
    {
        _failed = failed;
        _run = Task.Run(RunAsync);
    }

    /// <summary>True on the queue's own task (and in work a handler started from it): waiting for the queue there would wait for itself.</summary>
    public bool IsCurrent => ReferenceEquals(Running.Value, this);

    /// <summary>Queues <paramref name="callback"/>; dropped once the queue is completed.</summary>
    public void Post(string name, Action callback) => _queue.Writer.TryWrite((name, callback));

    /// <summary>Completes once every callback posted before has run.</summary>
    public Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _queue.Writer.TryWrite((null, done.SetResult)) ? done.Task : _run;
    }

    /// <summary>Accepts no more callbacks; completes once those already queued have run.</summary>
    public Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        return _run;
    }

    private async Task RunAsync()
    {
        Running.Value = this;
        await foreach (var (name, callback) in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                callback();
            }
#pragma warning disable CA1031 // An application's handler may throw anything; it must not end the queue.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _failed(name ?? "flush", ex);
            }
        }
    }
}
