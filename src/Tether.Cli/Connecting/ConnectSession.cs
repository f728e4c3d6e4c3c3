using System.Text;
using Tether.Cli.Hosting;
using Tether.Cli.Output;
using Tether.Client;

namespace Tether.Cli.Connecting;

/// <summary>
/// One run of <c>tether connect</c>: stdin lines go out as messages, received messages and client events go to the
/// sink. It keeps going through disconnects; it ends on stdin EOF or Ctrl-C (graceful close, success) or when the
/// client closes for good (failure).
/// </summary>
internal sealed class ConnectSession
{
    private readonly TetherClient _client;
    private readonly IClientEventSink _sink;
    private readonly TextReader _input;
    private readonly TimeSpan _eofDelay;
    private ClientStateChangedEventArgs? _closedEvent;

    public ConnectSession(TetherClient client, IClientEventSink sink, TextReader input, TimeSpan eofDelay)
    {
        _client = client;
        _sink = sink;
        _input = input;
        _eofDelay = eofDelay;
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
            return await CloseAsync(Task.CompletedTask, signal.Aborting).ConfigureAwait(false);
        }
        catch (TetherException ex)
        {
            return Fail(ex.Message);
        }

        var receiving = ReceiveAsync();
        var sending = SendLinesAsync(signal.Stopping);
        var stopping = signal.WhenStopping();
        var first = await Task.WhenAny(sending, _client.Completion, stopping).ConfigureAwait(false);
        if (first == sending)
        {
            if (sending.IsFaulted)
            {
                _sink.Error($"reading stdin failed: {sending.Exception!.InnerException!.Message}");
            }
            else if (_eofDelay > TimeSpan.Zero)
            {
                first = await Task.WhenAny(Task.Delay(_eofDelay, CancellationToken.None), _client.Completion, stopping).ConfigureAwait(false);
            }
        }

        if (first == _client.Completion && _client.Completion.IsFaulted)
        {
            // Deliver what arrived before the end; the inbox completes when the client closes.
            await receiving.ConfigureAwait(false);
            return Fail(_client.Completion.Exception!.InnerException!.Message);
        }

        return await CloseAsync(receiving, signal.Aborting).ConfigureAwait(false);
    }

    private async Task<int> CloseAsync(Task receiving, CancellationToken abort)
    {
        try
        {
            await _client.CloseAsync(abort).ConfigureAwait(false);
            await receiving.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            // A second Ctrl-C: leave without waiting for the server to acknowledge.
        }

        if (_client.Completion.IsFaulted)
        {
            // The client failed for good while we were closing; that failure is still the outcome.
            return Fail(_client.Completion.Exception!.InnerException!.Message);
        }

        _sink.Closed("closed", null, null);
        return ExitCodes.Success;
    }

    private int Fail(string message)
    {
        var closed = Volatile.Read(ref _closedEvent);
        _sink.Closed(ClosedReason(closed), null, message);
        return ExitCodes.Failure;
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

                _sink.Reconnecting(e.Attempt, e.Delay, e.EndPoint, e.Exception);
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
