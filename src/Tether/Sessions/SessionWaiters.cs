namespace Tether.Sessions;

/// <summary>
/// The callers of one session waiting for room in its replay buffer or for the peer's ack of a given message. They are
/// local to the process that holds the session (a stored session has none): the session releases them as acks come
/// in, and fails them when it is lost. Not thread-safe: the session serialises access. Completions run their
/// continuations asynchronously, so releasing a waiter under the session's lock runs no caller code there.
/// </summary>
internal sealed class SessionWaiters
{
    private TaskCompletionSource? _room;
    private Queue<(ulong Sequence, TaskCompletionSource Done)>? _acks;

    /// <summary>A task that completes at the next <see cref="ReleaseRoom"/>.</summary>
    public Task WaitForRoom()
    {
        _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _room.Task;
    }

    /// <summary>A task that completes once <see cref="ReleaseAcknowledged"/> reaches <paramref name="sequence"/>.</summary>
    public Task WaitForAck(ulong sequence)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        (_acks ??= new()).Enqueue((sequence, done));
        return done.Task;
    }

    public void ReleaseRoom()
    {
        var waiter = _room;
        _room = null;
        waiter?.TrySetResult();
    }

    /// <summary>Completes every ack waiter up to <paramref name="acknowledged"/> (they wait in sequence order).</summary>
    public void ReleaseAcknowledged(ulong acknowledged)
    {
        if (_acks is not { } waiters)
        {
            return;
        }

        while (waiters.TryPeek(out var head) && head.Sequence <= acknowledged)
        {
            waiters.Dequeue().Done.TrySetResult();
        }
    }

    /// <summary>The session is gone: room waiters go on (and find it lost), ack waiters fail with <paramref name="error"/>.</summary>
    public void FailAll(Exception error)
    {
        ReleaseRoom();
        if (_acks is { } waiters)
        {
            while (waiters.TryDequeue(out var waiter))
            {
                waiter.Done.TrySetException(error);
            }
        }
    }
}
