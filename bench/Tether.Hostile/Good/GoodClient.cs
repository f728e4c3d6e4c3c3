using System.Buffers;
using System.Buffers.Binary;
using Tether.Client;

namespace Tether.Hostile.Good;

/// <summary>
/// A well-behaved client: a <see cref="TetherClient"/> with a reliable session, sending numbered messages at a steady
/// rate to the echo app and checking that every echo comes back once and in order, and that it is never disconnected.
/// </summary>
internal sealed class GoodClient : TetherClientHandler, IAsyncDisposable
{
    private readonly TetherClient _client;
    private readonly EchoStreamCheck _echoes = new();
    private readonly TimeSpan _interval;
    private long _sent;
    private int _disconnects;
    private int _sessionsLost;
    private volatile bool _closing;

    public GoodClient(HostileSettings settings, int index)
    {
        var options = new TetherClientOptions { ClientId = $"hostile-good-{index}" };
        options.EndPoints.Add(settings.Target);
        _interval = TimeSpan.FromSeconds(1.0 / settings.GoodRate);
        _client = new TetherClient(options, this);
        _client.StateChanged += OnStateChanged;
        _client.SessionLost += (_, _) => Interlocked.Increment(ref _sessionsLost);
    }

    public int Disconnects => Volatile.Read(ref _disconnects);

    public int SessionsLost => Volatile.Read(ref _sessionsLost);

    /// <summary>The last reason the client was disconnected, for the report.</summary>
    public string? LastDisconnect { get; private set; }

    public EchoCounts Counts => _echoes.Count(Interlocked.Read(ref _sent));

    public Task ConnectAsync(CancellationToken cancellationToken) => _client.ConnectAsync(cancellationToken);

    /// <summary>
    /// Sends the next number every interval until <paramref name="stop"/>. A send is counted once the session has
    /// accepted it; <paramref name="cancellationToken"/> (not <paramref name="stop"/>) governs the send itself, so that
    /// stopping never leaves a message half sent and uncounted.
    /// </summary>
    public async Task SendUntilAsync(CancellationToken stop, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                var message = new byte[sizeof(ulong)];
                BinaryPrimitives.WriteUInt64BigEndian(message, (ulong)Interlocked.Read(ref _sent) + 1);
                await _client.SendAsync(message, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _sent);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Waits until every message sent so far has been echoed.</summary>
    public Task WaitForEchoesAsync(CancellationToken cancellationToken) =>
        _echoes.WaitForAsync((ulong)Interlocked.Read(ref _sent), cancellationToken);

    public override ValueTask OnMessageAsync(TetherClient client, ReadOnlySequence<byte> message)
    {
        Span<byte> number = stackalloc byte[sizeof(ulong)];
        if (message.Length == sizeof(ulong))
        {
            message.CopyTo(number);
            _echoes.Observe(BinaryPrimitives.ReadUInt64BigEndian(number));
        }
        else
        {
            _echoes.ObserveForeign();
        }

        return ValueTask.CompletedTask;
    }

    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        _closing = true;
        await _client.CloseAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _closing = true;
        await _client.DisposeAsync().ConfigureAwait(false);
    }

    private void OnStateChanged(object? sender, ClientStateChangedEventArgs e)
    {
        if (e.Previous == ClientState.Connected && !_closing)
        {
            Interlocked.Increment(ref _disconnects);
            LastDisconnect = e.Disconnect?.ToString() ?? e.Current.ToString();
        }
    }
}
