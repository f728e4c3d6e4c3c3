using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Tether.TestSupport;

/// <summary>
/// The lines of one output stream: every line kept for assertions, plus a channel that each waiter reads from where
/// the last one stopped.
/// </summary>
internal sealed class OutputLines
{
    private readonly ConcurrentQueue<string> _all = new();
    private readonly Channel<string> _unread = Channel.CreateUnbounded<string>();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the stream has ended.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Adds a line as <see cref="System.Diagnostics.DataReceivedEventArgs"/> delivers it: null ends the stream.</summary>
    public void Add(string? line)
    {
        if (line is null)
        {
            _unread.Writer.TryComplete();
            _completion.TrySetResult();
            return;
        }

        _all.Enqueue(line);
        _unread.Writer.TryWrite(line);
    }

    public IReadOnlyList<string> Snapshot() => [.. _all];

    public IAsyncEnumerable<string> ReadUnreadAsync(CancellationToken cancellationToken) => _unread.Reader.ReadAllAsync(cancellationToken);
}
