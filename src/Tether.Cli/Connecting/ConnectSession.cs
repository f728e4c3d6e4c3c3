using System.Globalization;
using System.Text;
using Tether.Cli.Hosting;
using Tether.Cli.Output;
using Tether.Client;

namespace Tether.Cli.Connecting;

/// <summary>What <c>tether connect</c> was asked for beyond the client's own options.</summary>
/// <param name="EofDelay">After stdin ends (and its lines are acknowledged), how long to keep printing replies.</param>
/// <param name="CloseTimeout">After stdin ends, how long to wait for the server to acknowledge every line.</param>
/// <param name="Tls">Whether the client uses TLS, so that a plain client meeting a TLS listener can be told so.</param>
internal sealed record ConnectSettings(TimeSpan EofDelay, TimeSpan CloseTimeout, bool Tls = false);

/// <summary>
/// One run of <c>tether connect</c>: stdin lines go out as messages, received messages and client events go to the
/// sink. It keeps going through disconnects; it ends on stdin EOF or Ctrl-C (graceful close, success, unless lines
/// were never acknowledged) or when the client closes for good (failure).
/// </summary>
internal sealed class ConnectSession
{
    private readonly TetherClient _client;
    private readonly IClientEventSink _sink;
    private readonly TextReader _input;
    private readonly ConnectSettings _settings;
    private ClientStateChangedEventArgs? _closedEvent;

    public ConnectSession(TetherClient client, IClientEventSink sink, TextReader input, ConnectSettings settings)
    {
        _client = client;
        _sink = sink;
        _input = input;
        _settings = settings;
        _client.StateChanged += OnStateChanged;
        _client.RoundTripTimeMeasured += (_, e) => _sink.RoundTripTime(e.RoundTripTime);
        _client.SessionResumed += (_, e) => _sink.SessionResumed(e.SessionId, e.ServerLastReceived, e.Resent);
        _client.SessionLost += (_, e) => _sink.SessionLost(e.Info);
    }

    public async Task<int> RunAsync(ShutdownSignal signal)
    {
        try
        {
            await _client.ConnectAsync(signal.Stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (signal.Stopping.IsCancellationRequested)
        {
            return await CloseAsync(Task.CompletedTask, TimeSpan.Zero, signal).ConfigureAwait(false);
        }
        catch (TetherException ex)
        {
            return await FailAsync(ex.Message, signal.Aborting).ConfigureAwait(false);
        }

        var receiving = ReceiveAsync();
        var sending = SendLinesAsync(signal.Stopping);
        var stopping = signal.WhenStopping();
        var first = await Task.WhenAny(sending, _client.Completion, stopping).ConfigureAwait(false);
        var acknowledgementTimeout = TimeSpan.Zero;
        if (first == sending)
        {
            if (sending.IsFaulted)
            {
                _sink.Error($"reading stdin failed: {sending.Exception!.InnerException!.Message}");
            }
            else
            {
                // Lines accepted into the session are not delivered yet: closing at once would drop the ones still
                // unacknowledged, and hide a close the server starts meanwhile behind our own.
                acknowledgementTimeout = _settings.CloseTimeout;
                if (_settings.EofDelay > TimeSpan.Zero)
                {
                    first = await Task.WhenAny(Task.Delay(_settings.EofDelay, CancellationToken.None), _client.Completion, stopping).ConfigureAwait(false);
                }
            }
        }

        if (first == _client.Completion && _client.Completion.IsFaulted)
        {
            // Deliver what arrived before the end; the inbox completes when the client closes.
            await receiving.ConfigureAwait(false);
            return await FailAsync(_client.Completion.Exception!.InnerException!.Message, signal.Aborting).ConfigureAwait(false);
        }

        return await CloseAsync(receiving, first == stopping ? TimeSpan.Zero : acknowledgementTimeout, signal).ConfigureAwait(false);
    }

    /// <summary>
    /// Closes after waiting up to <paramref name="acknowledgementTimeout"/> for the server to acknowledge every line
    /// (Ctrl-C ends the wait, a second one the close), and reports what it never acknowledged.
    /// </summary>
    private async Task<int> CloseAsync(Task receiving, TimeSpan acknowledgementTimeout, ShutdownSignal signal)
    {
        int unacknowledged;
        try
        {
            var result = await _client.CloseAsync(acknowledgementTimeout, signal.Stopping).WaitAsync(signal.Aborting).ConfigureAwait(false);
            unacknowledged = result.Unacknowledged;
            await receiving.WaitAsync(signal.Aborting).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (signal.Aborting.IsCancellationRequested)
        {
            // A second Ctrl-C: leave without waiting for the server; what the session still holds was not delivered.
            unacknowledged = _client.UnacknowledgedMessages;
        }

        if (_client.Completion.IsFaulted)
        {
            // The client failed for good while we were closing; that failure is still the outcome.
            return await FailAsync(_client.Completion.Exception!.InnerException!.Message, signal.Aborting).ConfigureAwait(false);
        }

        if (unacknowledged > 0)
        {
            _sink.Closed("closed", null, string.Create(CultureInfo.InvariantCulture, $"{unacknowledged} line(s) sent but never acknowledged by the server"), unacknowledged);
            return ExitCodes.Unacknowledged;
        }

        _sink.Closed("closed", null, null);
        return ExitCodes.Success;
    }

    private async Task<int> FailAsync(string message, CancellationToken abort)
    {
        try
        {
            // The client raises its events on a task of its own: the close waits for the last of them (the
            // disconnected and reconnecting before the failure) to be written before the failure is.
            await _client.CloseAsync(abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
        }

        var closed = Volatile.Read(ref _closedEvent);
        _sink.Closed(ClosedReason(closed), null, Explain(message, _settings), _client.UnacknowledgedMessages);
        return ExitCodes.Failure;
    }

    /// <summary>
    /// The library's message with what the command line knows better: a plain client that a TLS listener hangs up on
    /// hears only "closed the connection during the handshake", so it gets a hint.
    /// </summary>
    internal static string Explain(string message, ConnectSettings settings)
    {
        if (!settings.Tls)
        {
            const string HungUp = "closed the connection during the handshake";
            message = message.Replace(HungUp, HungUp + " (is it a TLS listener? try --tls)", StringComparison.Ordinal);
        }

        return message;
    }

    private static string ClosedReason(ClientStateChangedEventArgs? closed) => closed switch
    {
        { Previous: ClientState.Connected, Disconnect: { } disconnect } => disconnect.ReasonName,
        { Exception: TetherException { Code: not null } } => "handshake-rejected",
        { Exception: not null } => "gave-up",
        _ => "closed",
    };

    private void OnStateChanged(object? sender, ClientStateChangedEventArgs e)
    {
        switch (e.Current)
        {
            case ClientState.Connecting:
                _sink.Connecting(e.EndPoint);
                break;
            case ClientState.Connected:
                _sink.Connected(e.EndPoint);
                break;
            case ClientState.Reconnecting:
                if (e.Previous == ClientState.Connected && e.Disconnect is { } lost)
                {
                    _sink.Disconnected(lost);
                }

                _sink.Reconnecting(e.Attempt, e.Delay, e.EndPoint, e.Exception is { } error && Explain(error.Message, _settings) is var text && text != error.Message ? new TetherException(text, error) : e.Exception);
                break;
            case ClientState.Closed:
                // A connection that ends the client (e.g. CLOSE NORMAL or REPLACED from the server) is still a
                // disconnect worth reporting; our own close is reported as "closed" alone.
                if (e.Previous == ClientState.Connected && e.Disconnect is { Reason: not DisconnectReason.ClosedLocally } ended)
                {
                    _sink.Disconnected(ended);
                }

                Volatile.Write(ref _closedEvent, e);
                break;
        }
    }

    private async Task ReceiveAsync()
    {
        await foreach (var message in _client.ReadAllAsync().ConfigureAwait(false))
        {
            _sink.Message(message.Span);
        }
    }

    private async Task SendLinesAsync(CancellationToken stopping)
    {
        while (await _input.ReadLineAsync(stopping).ConfigureAwait(false) is { } line)
        {
            try
            {
                await _client.SendAsync(Encoding.UTF8.GetBytes(line), stopping).ConfigureAwait(false);
            }
            catch (TetherException) when (_client.State == ClientState.Closed)
            {
                // Closed for good: RunAsync reports why, through Completion.
                return;
            }
            catch (Exception ex) when (ex is TetherException or ArgumentException)
            {
                _sink.Error(ex.Message);
            }
        }
    }
}
