using Tether.Link;
using Tether.Sessions;

namespace Tether.Client;

/// <summary>
/// Puts an application's message on its way: into the session when there is one (waiting for room while it is full),
/// else onto the current connection, and while there is neither, waits for a connection up to
/// <see cref="TetherClientOptions.DisconnectedSendTimeout"/>.
/// </summary>
internal sealed class ClientSender
{
    private readonly TetherClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ClientLifecycle _lifecycle;
    private readonly ClientSessions _sessions;

    public ClientSender(TetherClientOptions options, TimeProvider time, ClientLifecycle lifecycle, ClientSessions sessions)
    {
        _options = options;
        _time = time;
        _lifecycle = lifecycle;
        _sessions = sessions;
    }

    /// <summary>Returns the session the message was accepted into and its sequence number, or no session (at-most-once).</summary>
    public async ValueTask<(ReliableSession? Session, ulong Sequence)> SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var deadline = _time.GetTimestamp() + (long)(_options.DisconnectedSendTimeout.TotalSeconds * _time.TimestampFrequency);
        while (true)
        {
            ThrowIfClosed();
            var session = _sessions.CurrentLinked;
            if (session is not null)
            {
                switch (session.TrySend(message.Span, overLimit: false, out var sequence))
                {
                    case SendResult.Queued:
                        return (session.Session, sequence);
                    case SendResult.Full:
                        await UnlessClosedAsync(session.Session.WaitForRoomAsync(cancellationToken)).ConfigureAwait(false);
                        continue;
                    case SendResult.TooLarge:
                        throw new ArgumentException($"a message of {message.Length} bytes exceeds the server's frame limit ({session.Session.MaxPayload} bytes of payload)", nameof(message));
                }

                // Lost: the client is moving to a new session (or none); look again.
                if (_sessions.CurrentLinked != session)
                {
                    continue;
                }
            }

            var connection = _lifecycle.Current;
            if (connection is not null && connection.Link.Session is null)
            {
                switch (connection.TrySend(message.Span))
                {
                    case SendResult.Queued:
                        return (null, 0);
                    case SendResult.Full:
                        await connection.FlushAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
                        continue;
                }
            }

            await WaitForConnectionAsync(deadline, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for an acknowledgement; fails when the client closes for good first (nothing will acknowledge it then).</summary>
    public async Task WaitForAckAsync(ReliableSession session, ulong sequence, CancellationToken cancellationToken)
    {
        var acknowledged = session.WaitForAckAsync(sequence, cancellationToken);
        if (!acknowledged.IsCompleted && await Task.WhenAny(acknowledged, _lifecycle.Completion).ConfigureAwait(false) != acknowledged)
        {
            throw new TetherException("the client closed before the server acknowledged the message; it may not have been delivered");
        }

        await acknowledged.ConfigureAwait(false);
    }

    private void ThrowIfClosed()
    {
        if (_lifecycle.Completion.IsCompleted)
        {
            throw new TetherException("the client is closed; the message was not sent");
        }
    }

    /// <summary>A wait for room ends when the client closes for good: no acknowledgement will ever make room then.</summary>
    private async Task UnlessClosedAsync(Task wait)
    {
        if (!wait.IsCompleted)
        {
            await Task.WhenAny(wait, _lifecycle.Completion).ConfigureAwait(false);
        }

        ThrowIfClosed();
        await wait.ConfigureAwait(false);
    }

    private async Task WaitForConnectionAsync(long deadline, CancellationToken cancellationToken)
    {
        var signal = _lifecycle.NextConnection();
        var remaining = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
        if (remaining <= TimeSpan.Zero)
        {
            throw new TetherException($"not connected: no connection within {_options.DisconnectedSendTimeout.TotalSeconds:0.###} s; the message was not sent");
        }

        try
        {
            await signal.WaitAsync(remaining, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TetherException($"not connected: no connection within {_options.DisconnectedSendTimeout.TotalSeconds:0.###} s; the message was not sent");
        }
    }
}
