using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Threading.Tasks.Sources;
using Tether.Client;
using Tether.Diagnostics;
using Tether.Server;

namespace Tether.Benchmarks;

/// <summary>
/// One busy loopback echo link for the session benchmarks: a <see cref="TetherServer"/> on 127.0.0.1:0 with the
/// copy-free <see cref="EchoHandler"/>, and a <see cref="TetherClient"/> whose echoes go to a
/// <see cref="TetherClientHandler"/> (no per-message copy, unlike <c>ReadAllAsync</c>). Sessions are on or off on both
/// sides; everything else is the default. The client pipelines messages with at most <see cref="Window"/> in flight.
/// Every payload carries a running number that the echo must bring back in order, so a lost, duplicated or reordered
/// message, a reconnect or a stall fails the run loudly instead of producing a figure.
/// </summary>
internal sealed class EchoLink : IEchoLink
{
    /// <summary>How long without a single echo, while the sender waits, before the run is declared stuck.</summary>
    private static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(10);

    private readonly TetherServer _server;
    private readonly TetherClient _client;
    private readonly EchoCounter _counter;
    private readonly byte[] _payload;
    private readonly Timer _watchdog;
    private long _sent;
    private long _lastSeenReceived = -1;
    private long _lastProgress = Environment.TickCount64;

    private EchoLink(TetherServer server, TetherClient client, EchoCounter counter, bool sessions, int payloadLength, int window)
    {
        Sessions = sessions;
        _server = server;
        _client = client;
        _counter = counter;
        _payload = Payloads.Create(payloadLength);
        Window = window;
        _watchdog = new Timer(static state => ((EchoLink)state!).CheckProgress(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        // Anything but a steady connection makes the figure meaningless (a resume replays messages, a new session
        // restarts the numbering): stop the run rather than measure it.
        _client.StateChanged += (_, e) =>
        {
            if (e.Current != ClientState.Connected)
            {
                _counter.Fail(new InvalidOperationException($"the client left the Connected state during the benchmark: {e.Current} ({e.Disconnect?.ToString() ?? e.Exception?.Message})"));
            }
        };
        _client.SessionLost += (_, e) => _counter.Fail(new InvalidOperationException($"the session was lost during the benchmark: {e.Info.Reason}"));
        _client.SessionResumed += (_, _) => _counter.Fail(new InvalidOperationException("the session was resumed during the benchmark"));
    }

    /// <summary>Whether the link runs with reliable sessions.</summary>
    public bool Sessions { get; }

    /// <summary>Most messages in flight (sent, echo not yet received).</summary>
    public int Window { get; }

    /// <summary>The server's and the client's meters (for the wire statistics of the throughput mode).</summary>
    public IReadOnlyList<string> MeterNames => [TetherMeterNames.Server, TetherMeterNames.Client];

    /// <summary>Echoes received since the link started.</summary>
    public long Received => _counter.Received;

    /// <summary>Starts a server and connects a client, both with sessions on or off, and checks they agree.</summary>
    public static async Task<EchoLink> StartAsync(bool sessions, int payloadLength, int window)
    {
        if (payloadLength < sizeof(long))
        {
            throw new ArgumentOutOfRangeException(nameof(payloadLength), "the payload carries an 8-byte running number");
        }

        if (window < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(window), "the window is refilled when half of it has come back");
        }

        var serverOptions = new TetherServerOptions();
        serverOptions.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        serverOptions.Sessions.Enabled = sessions;
        var server = new TetherServer(serverOptions, new EchoHandler());
        TetherClient? client = null;
        try
        {
            await server.StartAsync();
            var clientOptions = new TetherClientOptions();
            clientOptions.EndPoints.Add(server.LocalEndPoints[0]);
            clientOptions.Sessions.Enabled = sessions;
            var counter = new EchoCounter(payloadLength);
            client = new TetherClient(clientOptions, counter);
            await client.ConnectAsync();
            await ExpectSessionStateAsync(server, client, sessions);
            return new EchoLink(server, client, counter, sessions, payloadLength, window);
        }
        catch
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }

            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Sends <paramref name="messages"/> messages and returns once every echo is back. The window is filled, then
    /// refilled each time half of it has come back: one wake-up of the sender per <see cref="Window"/>/2 echoes rather
    /// than one per echo, so the thread hops of the harness stay out of the per-message cost.
    /// </summary>
    public async Task RunAsync(int messages)
    {
        _counter.ThrowIfFailed();
        if (_counter.Received != _sent)
        {
            throw new InvalidOperationException($"{_sent - _counter.Received} echoes of the previous run are missing");
        }

        var end = _sent + messages;
        var client = _client;
        var payload = _payload;
        while (_sent < end)
        {
            while (_sent < end && _sent - _counter.Received < Window)
            {
                // SendAsync has copied the payload (into the session's replay buffer, the outbound queue or both) by
                // the time it completes, so the same array is reused for the next message.
                BinaryPrimitives.WriteInt64LittleEndian(payload, _sent);
                await client.SendAsync(payload);
                _sent++;
            }

            if (_sent < end)
            {
                await _counter.WaitForAsync(_sent - (Window / 2));
            }
        }

        await _counter.WaitForAsync(end);
    }

    public async ValueTask DisposeAsync()
    {
        await _watchdog.DisposeAsync();
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static async Task ExpectSessionStateAsync(TetherServer server, TetherClient client, bool sessions)
    {
        if (client.SessionId.HasValue != sessions)
        {
            throw new InvalidOperationException($"sessions were to be {(sessions ? "on" : "off")}, but the client has session {client.SessionId?.ToString() ?? "none"}");
        }

        // The server registers the connection a moment after it queues WELCOME, so the client may get there first.
        for (var attempt = 0; attempt < 200 && server.Connections.Count == 0; attempt++)
        {
            await Task.Delay(10);
        }

        var connections = server.Connections.ToList();
        if (connections.Count != 1 || (connections[0].Session is not null) != sessions)
        {
            throw new InvalidOperationException($"expected one server connection with sessions {(sessions ? "on" : "off")}, found {connections.Count} ({string.Join(", ", connections.Select(c => c.Session?.ToString() ?? "no session"))})");
        }
    }

    private void CheckProgress()
    {
        var received = _counter.Received;
        var now = Environment.TickCount64;
        if (received != _lastSeenReceived || !_counter.IsWaiting)
        {
            _lastSeenReceived = received;
            _lastProgress = now;
            return;
        }

        if (now - _lastProgress > StallLimit.TotalMilliseconds)
        {
            _counter.Fail(new TimeoutException($"no echo for {StallLimit.TotalSeconds:0} s: {_sent - received} of the messages sent never came back"));
        }
    }

    /// <summary>
    /// Receives the echoes on the client's receive loop: checks each one (length, running number) and counts it, and
    /// wakes the sender once the count reaches what it waits for. The wait is a reusable value-task source, so waiting
    /// allocates nothing and the allocation figures stay those of the runtime.
    /// </summary>
    private sealed class EchoCounter(int payloadLength) : TetherClientHandler, IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
        private long _received;
        private long _wakeAt = long.MaxValue;
        private volatile Exception? _failure;

        public long Received => Volatile.Read(ref _received);

        public bool IsWaiting => Volatile.Read(ref _wakeAt) != long.MaxValue;

        public override ValueTask OnMessageAsync(TetherClient client, ReadOnlySequence<byte> message)
        {
            var expected = _received;
            if (message.Length != payloadLength)
            {
                Fail(new InvalidOperationException($"echo {expected} has {message.Length} bytes, expected {payloadLength}"));
                return ValueTask.CompletedTask;
            }

            Span<byte> scratch = stackalloc byte[sizeof(long)];
            var number = message.FirstSpan.Length >= sizeof(long)
                ? BinaryPrimitives.ReadInt64LittleEndian(message.FirstSpan)
                : ReadSplit(message, scratch);
            if (number != expected)
            {
                Fail(new InvalidOperationException($"echo {expected} carries number {number}: a message was lost, duplicated or reordered"));
                return ValueTask.CompletedTask;
            }

            // A full fence: the sender publishes what it waits for, then reads this count; this side publishes the
            // count, then reads what is waited for. Without it both could miss each other and the sender would sleep.
            var received = Interlocked.Increment(ref _received);
            var wakeAt = Volatile.Read(ref _wakeAt);
            if (received >= wakeAt && Interlocked.CompareExchange(ref _wakeAt, long.MaxValue, wakeAt) == wakeAt)
            {
                _core.SetResult(true);
            }

            return ValueTask.CompletedTask;
        }

        /// <summary>Completes once <paramref name="count"/> echoes have arrived; throws if the run failed.</summary>
        public ValueTask WaitForAsync(long count)
        {
            ThrowIfFailed();
            if (Received >= count)
            {
                return ValueTask.CompletedTask;
            }

            // Nobody can complete the source while _wakeAt is unset, so resetting it here is safe.
            _core.Reset();
            Interlocked.Exchange(ref _wakeAt, count);
            if ((Received >= count || _failure is not null) && Interlocked.CompareExchange(ref _wakeAt, long.MaxValue, count) == count)
            {
                ThrowIfFailed();
                return ValueTask.CompletedTask;
            }

            return new ValueTask(this, _core.Version);
        }

        /// <summary>Records the first failure and wakes a waiting sender, which then throws it.</summary>
        public void Fail(Exception failure)
        {
            if (Interlocked.CompareExchange(ref _failure, failure, null) is not null)
            {
                return;
            }

            var wakeAt = Volatile.Read(ref _wakeAt);
            if (wakeAt != long.MaxValue && Interlocked.CompareExchange(ref _wakeAt, long.MaxValue, wakeAt) == wakeAt)
            {
                _core.SetResult(false);
            }
        }

        public void ThrowIfFailed()
        {
            if (_failure is { } failure)
            {
                throw new InvalidOperationException($"the echo benchmark failed: {failure.Message}", failure);
            }
        }

        void IValueTaskSource.GetResult(short token)
        {
            _core.GetResult(token);
            ThrowIfFailed();
        }

        ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

        void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);

        private static long ReadSplit(ReadOnlySequence<byte> message, Span<byte> scratch)
        {
            message.Slice(0, scratch.Length).CopyTo(scratch);
            return BinaryPrimitives.ReadInt64LittleEndian(scratch);
        }
    }
}
