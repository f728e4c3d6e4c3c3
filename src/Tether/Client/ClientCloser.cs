using Tether.Protocol;

namespace Tether.Client;

/// <summary>
/// A client's close procedure. <see cref="CloseAsync(CancellationToken)"/> closes now (CLOSE NORMAL), stops the run
/// loop and waits for the last event; <see cref="CloseAsync(TimeSpan, CancellationToken)"/> first waits, up to a
/// timeout, for the server to acknowledge what was sent, and hands back what it did not.
/// </summary>
internal sealed class ClientCloser
{
    private readonly ClientLifecycle _lifecycle;
    private readonly ClientSessions _sessions;
    private readonly ClientEvents _events;
    private readonly ReconnectLoop _loop;
    private readonly TimeProvider _time;

    public ClientCloser(ClientLifecycle lifecycle, ClientSessions sessions, ClientEvents events, ReconnectLoop loop, TimeProvider time)
    {
        _lifecycle = lifecycle;
        _sessions = sessions;
        _events = events;
        _loop = loop;
        _time = time;
    }

    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        var run = _lifecycle.RequestClose(out var current);

        // A connection published after this point sees the close request and closes itself (ReconnectLoop).
        current?.Close(new DisconnectInfo(DisconnectReason.ClosedLocally, CloseCode.Normal, "closed by the application"), CloseCode.Normal, "client closing");
        await _loop.StopAsync().ConfigureAwait(false);
        await run.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!_events.IsCurrent)
        {
            await _events.CompleteAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<ClientCloseResult> CloseAsync(TimeSpan acknowledgementTimeout, CancellationToken cancellationToken)
    {
        if (acknowledgementTimeout < TimeSpan.Zero && acknowledgementTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(acknowledgementTimeout), acknowledgementTimeout, "the timeout must not be negative");
        }

        _sessions.KeepLostMessages();
        try
        {
            await WaitUntilAcknowledgedAsync(acknowledgementTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await CloseAsync(CancellationToken.None).ConfigureAwait(false);
        return _sessions.Unacknowledged();
    }

    /// <summary>Waits until the session holds nothing unacknowledged, the client closes for good, or the time is up.</summary>
    private async Task WaitUntilAcknowledgedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, cancellationToken);
        var completion = _lifecycle.Completion;
        try
        {
            while (!completion.IsCompleted)
            {
                var session = _sessions.Current;
                Task acknowledged;
                if (session is not null)
                {
                    var last = session.LastSent;
                    if (session.Lost is null && session.LastAcknowledged >= last)
                    {
                        return;
                    }

                    acknowledged = session.WaitForAckAsync(last, linked.Token);
                }
                else if (_lifecycle.Current is { } connection)
                {
                    acknowledged = connection.FlushAsync();
                }
                else
                {
                    return;
                }

                await Task.WhenAny(acknowledged, completion).WaitAsync(linked.Token).ConfigureAwait(false);
                if (acknowledged.IsFaulted)
                {
                    // The session was lost (what it held is kept by ClientSessions); a new one may hold more.
                    _ = acknowledged.Exception;
                    continue;
                }

                if (session is null)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
        }
    }
}
