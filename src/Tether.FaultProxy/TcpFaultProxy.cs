using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Tether.FaultProxy;

/// <summary>
/// A TCP proxy that forwards connections to a target and injects network faults on demand: black holes, delays,
/// split writes, resets and refused connections. Meant for loopback tests and soak runs.
/// </summary>
/// <remarks>
/// <para>
/// Every accepted connection gets its own connection to <see cref="Target"/> and a pump per direction. The fault
/// of a direction can be changed at any time and applies to existing connections from the next chunk on.
/// A FIN is propagated as a FIN (shutdown of the sending side) and a reset as a reset.
/// </para>
/// <para>All members are thread-safe.</para>
/// </remarks>
public sealed class TcpFaultProxy : IAsyncDisposable
{
    /// <summary>The largest delay accepted by <see cref="Delay"/>.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(1);

    private readonly AcceptLoop _acceptLoop;
    private readonly ConnectionRegistry _connections = new();
    private readonly ILogger _logger;
    private readonly Lock _disposalGate = new();
    private volatile EndPoint _target;
    private volatile bool _refuse;
    private long _bytesForwarded;
    private Task? _disposal;

    private TcpFaultProxy(Socket listener, EndPoint target, FaultProxyOptions options, ILogger logger)
    {
        _target = target;
        _logger = logger;
        BufferSize = options.BufferSize;
        ConnectTimeout = options.ConnectTimeout;
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _acceptLoop = new AcceptLoop(listener, TryAdmit, logger);
    }

    /// <summary>Where clients connect: the bound listening address, with the actual port.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>
    /// Where new connections are forwarded to. May be changed at any time (for example when the server moved);
    /// existing connections keep their current target.
    /// </summary>
    public EndPoint Target
    {
        get => _target;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _target = value;
            Log.TargetChanged(_logger, value);
        }
    }

    /// <summary>
    /// The current mode when both directions are in the same mode, otherwise <see cref="FaultMode.Mixed"/>.
    /// </summary>
    public FaultMode Mode => GetMode(FaultDirection.Both);

    /// <summary>Whether new connections are currently reset as soon as they are accepted.</summary>
    public bool IsRefusingNewConnections => _refuse;

    /// <summary>The number of connections currently open through the proxy (accepted and not yet fully closed).</summary>
    public int ActiveConnections => _connections.OpenCount;

    /// <summary>The number of connections accepted and proxied so far (refused ones are not counted).</summary>
    public long AcceptedConnections => _connections.AdmittedCount;

    /// <summary>The number of bytes written to either side so far, both directions added up.</summary>
    public long BytesForwarded => Interlocked.Read(ref _bytesForwarded);

    internal int BufferSize { get; }

    internal TimeSpan ConnectTimeout { get; }

    internal ILogger Logger => _logger;

    internal DirectionFaults Faults { get; } = new();

    /// <summary>Starts a proxy listening on <see cref="FaultProxyOptions.ListenEndPoint"/>, forwarding to <paramref name="target"/>.</summary>
    /// <param name="target">Where connections are forwarded to.</param>
    /// <param name="options">Listening address and tuning; defaults apply when null.</param>
    /// <param name="logger">Receives connection and fault events; nothing is logged when null.</param>
    /// <returns>The running proxy, in <see cref="FaultMode.Pass"/> mode.</returns>
    /// <exception cref="SocketException">The listening address could not be bound.</exception>
    public static TcpFaultProxy Start(EndPoint target, FaultProxyOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        options ??= new FaultProxyOptions();
        ArgumentNullException.ThrowIfNull(options.ListenEndPoint, "options.ListenEndPoint");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BufferSize, "options.BufferSize");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ConnectTimeout, TimeSpan.Zero, "options.ConnectTimeout");

        var listener = new Socket(options.ListenEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(options.ListenEndPoint);
            listener.Listen();
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        var proxy = new TcpFaultProxy(listener, target, options, logger ?? NullLogger.Instance);
        Log.Started(proxy._logger, proxy.EndPoint, target);
        proxy._acceptLoop.Start();
        return proxy;
    }

    /// <summary>Returns the mode of one direction; for <see cref="FaultDirection.Both"/>, the same as <see cref="Mode"/>.</summary>
    /// <param name="direction">The direction to report.</param>
    /// <returns>The mode currently applied to that direction.</returns>
    public FaultMode GetMode(FaultDirection direction) => Faults.GetMode(direction);

    /// <summary>Forwards normally. Held FINs and resets are released.</summary>
    /// <param name="direction">The direction to change.</param>
    public void Pass(FaultDirection direction = FaultDirection.Both) => SetFault(direction, FaultSettings.Pass);

    /// <summary>
    /// Forwards nothing and closes nothing, in the given direction: bytes read meanwhile are discarded (not delivered
    /// later) and a FIN or reset is held back until the direction leaves this mode.
    /// </summary>
    /// <remarks>
    /// A connection accepted while the client-to-server direction is black-holed is held open and silent: the target
    /// is connected only once that direction leaves this mode. Resuming after bytes were discarded leaves a hole in
    /// the byte stream, as a dead network followed by a reconnect of the path would not; framed protocols will
    /// usually treat the connection as corrupt, which is the point.
    /// </remarks>
    /// <param name="direction">The direction to change.</param>
    public void BlackHole(FaultDirection direction = FaultDirection.Both) =>
        SetFault(direction, FaultSettings.BlackHole);

    /// <summary>
    /// Forwards each chunk <paramref name="oneWayDelay"/> after it was read, preserving order. Chunks are pipelined,
    /// so the delay adds latency without dividing throughput (up to a bounded number of chunks in flight).
    /// </summary>
    /// <param name="oneWayDelay">The added latency per direction; a round trip through both directions gets it twice.</param>
    /// <param name="direction">The direction to change.</param>
    /// <exception cref="ArgumentOutOfRangeException">The delay is negative or larger than <see cref="MaxDelay"/>.</exception>
    public void Delay(TimeSpan oneWayDelay, FaultDirection direction = FaultDirection.Both)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(oneWayDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(oneWayDelay, MaxDelay);
        SetFault(direction, new FaultSettings(FaultMode.Delay, oneWayDelay, 0, TimeSpan.Zero));
    }

    /// <summary>
    /// Forwards in pieces of at most <paramref name="maxChunkBytes"/> bytes, each written separately (with Nagle's
    /// algorithm off, so each becomes its own segment), to make the receiver see split reads.
    /// </summary>
    /// <remarks>
    /// Without a pause, pieces written back to back on loopback often arrive before the receiver wakes up and are
    /// read together: reads are split, but not necessarily into many pieces. Use
    /// <see cref="Slice(int, TimeSpan, FaultDirection)"/> to space them out.
    /// </remarks>
    /// <param name="maxChunkBytes">The largest piece written at once.</param>
    /// <param name="direction">The direction to change.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxChunkBytes"/> is less than 1.</exception>
    public void Slice(int maxChunkBytes = 1, FaultDirection direction = FaultDirection.Both) =>
        Slice(maxChunkBytes, TimeSpan.Zero, direction);

    /// <summary>
    /// Forwards in pieces of at most <paramref name="maxChunkBytes"/> bytes, each written separately and followed by
    /// <paramref name="pause"/>, so that a receiver keeping up sees each piece in its own read.
    /// </summary>
    /// <param name="maxChunkBytes">The largest piece written at once.</param>
    /// <param name="pause">The wait after each piece; zero for none. This also caps throughput.</param>
    /// <param name="direction">The direction to change.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="maxChunkBytes"/> is less than 1, or <paramref name="pause"/> is negative or larger than
    /// <see cref="MaxDelay"/>.
    /// </exception>
    public void Slice(int maxChunkBytes, TimeSpan pause, FaultDirection direction = FaultDirection.Both)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxChunkBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(pause, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pause, MaxDelay);
        SetFault(direction, new FaultSettings(FaultMode.Slice, TimeSpan.Zero, maxChunkBytes, pause));
    }

    /// <summary>
    /// While <paramref name="refuse"/> is true, every new connection is reset (RST) as soon as it is accepted and the
    /// target is not contacted, as when the server is down. Existing connections are not affected.
    /// </summary>
    /// <remarks>
    /// The operating system completes the TCP handshake before the proxy sees the connection, so a client's connect
    /// usually succeeds and its first read or write then fails with a reset, rather than the connect failing with
    /// "connection refused".
    /// </remarks>
    /// <param name="refuse">True to refuse new connections, false to accept them again.</param>
    public void RefuseNewConnections(bool refuse)
    {
        _refuse = refuse;
        Log.RefusingChanged(_logger, refuse);
    }

    /// <summary>Aborts every proxied connection with a reset (RST) on both sides.</summary>
    /// <returns>The number of connections reset.</returns>
    public int ResetAll()
    {
        var count = _connections.ResetAll();
        Log.ResetAll(_logger, count);
        return count;
    }

    /// <summary>
    /// Stops listening, resets every connection and waits until all pumps have finished. Safe to call more than once.
    /// </summary>
    /// <returns>A task that completes when the proxy has released all its sockets.</returns>
    public ValueTask DisposeAsync()
    {
        lock (_disposalGate)
        {
            _disposal ??= DisposeCoreAsync();
            return new ValueTask(_disposal);
        }
    }

    internal void AddForwarded(int bytes) => Interlocked.Add(ref _bytesForwarded, bytes);

    internal void OnConnectionFinished(ProxyConnection connection) => _connections.Remove(connection);

    private void SetFault(FaultDirection direction, FaultSettings fault)
    {
        Faults.Set(direction, fault);
        Log.FaultChanged(_logger, direction, fault.Mode, fault.Delay, fault.SliceBytes, fault.SlicePause);
    }

    private bool TryAdmit(Socket client)
    {
        if (_refuse)
        {
            return false;
        }

        var connection = new ProxyConnection(this, _connections.NextId(), client);
        _connections.Add(connection);
        connection.Start();
        return true;
    }

    private async Task DisposeCoreAsync()
    {
        await _acceptLoop.DisposeAsync().ConfigureAwait(false);
        await _connections.ResetAllAndWaitAsync().ConfigureAwait(false);
        Log.Stopped(_logger, EndPoint);
    }
}
