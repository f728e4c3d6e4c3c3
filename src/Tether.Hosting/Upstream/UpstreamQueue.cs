namespace Tether.Hosting.Upstream;

/// <summary>
/// The one ordered queue of undelivered events, and the budgets that bound it. An event stays charged to its client
/// and to the total from the moment it is queued until its batch is delivered (or given up), so the memory held for a
/// slow endpoint is at most the total budget plus one message per client. A single batch is taken at a time, in queue
/// order, which is what keeps each client's events in order across retries.
/// </summary>
internal sealed class UpstreamQueue(long maxPerClient, long maxTotal)
{
    private readonly Lock _lock = new();
    private readonly Queue<UpstreamEvent> _events = new();
    private readonly List<ClientBudget> _paused = [];
    private TaskCompletionSource? _available;
    private bool _completed;

    public long QueuedBytes { get; private set; }

    public int QueuedEvents
    {
        get
        {
            lock (_lock)
            {
                return _events.Count;
            }
        }
    }

    public int PausedClients
    {
        get
        {
            lock (_lock)
            {
                return _paused.Count;
            }
        }
    }

    /// <summary>Queues <paramref name="item"/>: always accepted (it is bounded by the wait that follows, not refused).</summary>
    public void Enqueue(UpstreamEvent item)
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            _events.Enqueue(item);
            QueuedBytes += item.Size;
            item.Client.QueuedBytes += item.Size;
            wake = _available;
            _available = null;
        }

        wake?.TrySetResult();
    }

    /// <summary>
    /// Null when <paramref name="client"/> is within its budget and the total too; else the task that completes once both
    /// are (the client is paused until then).
    /// </summary>
    public Task? PauseIfOverBudget(ClientBudget client)
    {
        lock (_lock)
        {
            if (Fits(client))
            {
                return null;
            }

            if (client.Resume is null)
            {
                client.Resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _paused.Add(client);
            }

            return client.Resume.Task;
        }
    }

    /// <summary>The client is gone while paused: stop waiting for room on its behalf.</summary>
    public bool Unpause(ClientBudget client)
    {
        lock (_lock)
        {
            if (client.Resume is not { } resume)
            {
                return false;
            }

            client.Resume = null;
            _paused.Remove(client);
            resume.TrySetResult();
            return true;
        }
    }

    /// <summary>Waits for an event to deliver; false once <see cref="Complete"/> was called and nothing is left.</summary>
    public async Task<bool> WaitForEventsAsync(CancellationToken cancellationToken)
    {
        Task waiting;
        lock (_lock)
        {
            if (_events.Count > 0)
            {
                return true;
            }

            if (_completed)
            {
                return false;
            }

            _available ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiting = _available.Task;
        }

        await waiting.WaitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>True when a batch could not grow any further right now.</summary>
    public bool HasFullBatch(int maxEvents, int maxBytes)
    {
        lock (_lock)
        {
            return _events.Count >= maxEvents || QueuedBytes >= maxBytes;
        }
    }

    /// <summary>Moves the next events (at least one, if any) into <paramref name="batch"/>; they stay charged until <see cref="Delivered"/>.</summary>
    public void TakeBatch(List<UpstreamEvent> batch, int maxEvents, int maxBytes)
    {
        lock (_lock)
        {
            var bytes = 0L;
            while (batch.Count < maxEvents && _events.TryPeek(out var next) && (batch.Count == 0 || bytes + next.Size <= maxBytes))
            {
                batch.Add(_events.Dequeue());
                bytes += next.Size;
            }
        }
    }

    /// <summary>The batch is done with (delivered or given up): frees its bytes and resumes the clients that fit again.</summary>
    /// <returns>How many paused clients were resumed.</returns>
    public int Delivered(List<UpstreamEvent> batch)
    {
        List<TaskCompletionSource>? resumed = null;
        lock (_lock)
        {
            foreach (var item in batch)
            {
                QueuedBytes -= item.Size;
                item.Client.QueuedBytes -= item.Size;
            }

            for (var i = _paused.Count - 1; i >= 0; i--)
            {
                var client = _paused[i];
                if (Fits(client))
                {
                    (resumed ??= []).Add(client.Resume!);
                    client.Resume = null;
                    _paused.RemoveAt(i);
                }
            }
        }

        if (resumed is null)
        {
            return 0;
        }

        foreach (var resume in resumed)
        {
            resume.TrySetResult();
        }

        return resumed.Count;
    }

    /// <summary>No more events will come: the delivery loop ends once the queue is empty.</summary>
    public void Complete()
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            _completed = true;
            wake = _available;
            _available = null;
        }

        wake?.TrySetResult();
    }

    /// <summary>Empties the queue (the shutdown deadline passed) and resumes every paused client; returns the events given up.</summary>
    public int Abandon()
    {
        List<UpstreamEvent> left;
        lock (_lock)
        {
            left = [.. _events];
            _events.Clear();
        }

        Delivered(left);
        foreach (var client in PausedSnapshot())
        {
            Unpause(client);
        }

        return left.Count;
    }

    private List<ClientBudget> PausedSnapshot()
    {
        lock (_lock)
        {
            return [.. _paused];
        }
    }

    private bool Fits(ClientBudget client) => client.QueuedBytes < maxPerClient && QueuedBytes < maxTotal;
}
