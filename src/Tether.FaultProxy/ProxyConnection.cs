using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Tether.FaultProxy;

/// <summary>
/// The lifecycle of one proxied connection: connecting to the target once the client-to-server path is open,
/// running a <see cref="DirectionPump"/> per direction, and closing both sockets exactly once, either gracefully
/// after the pumps finish or with a reset on <see cref="Abort"/>.
/// </summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "The connection's lifetime is explicit: whichever of Abort and CloseGracefully closes it disposes _aborting.")]
internal sealed class ProxyConnection
{
    private readonly TcpFaultProxy _owner;
    private readonly Socket _client;
    private readonly CancellationTokenSource _aborting = new();
    private readonly CancellationToken _abortToken;
    private readonly Lock _gate = new();
    private readonly EndPoint? _remote;
    private Socket? _server;
    private volatile bool _closed;

    public ProxyConnection(TcpFaultProxy owner, long id, Socket client)
    {
        _owner = owner;
        _client = client;
        Id = id;
        _abortToken = _aborting.Token;
        try
        {
            _remote = client.RemoteEndPoint;
            client.NoDelay = true;
        }
        catch (SocketException)
        {
            // Already reset by the client; the first read will notice.
        }
    }

    public long Id { get; }

    /// <summary>Set once by whichever of <see cref="Abort"/> and graceful closing comes first.</summary>
    public bool IsClosed => _closed;

    /// <summary>Completes when every pump has finished and both sockets are closed. Never faults.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    public void Start()
    {
        Log.Accepted(_owner.Logger, Id, _remote);
        Completion = RunAsync();
    }

    /// <summary>Resets both sides (RST) and stops the pumps.</summary>
    /// <returns>False when the connection was already closed or aborted.</returns>
    public bool Abort()
    {
        Socket? server;
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }

            _closed = true;
            server = _server;
        }

        // Reset first: the RST goes out at once, and pending socket operations fail while _closed is already set.
        _client.ResetAndDispose();
        server?.ResetAndDispose();

        try
        {
            _aborting.Cancel();
        }
        catch (AggregateException ex)
        {
            Log.PumpFailed(_owner.Logger, Id, ex);
        }

        // Every registration has run; pumps still holding the token only see that it is cancelled.
        _aborting.Dispose();
        return true;
    }

    private async Task RunAsync()
    {
        var cancellationToken = _abortToken;
        var upstream = new DirectionPump(_owner, this, FaultDirection.ClientToServer);
        var downstream = new DirectionPump(_owner, this, FaultDirection.ServerToClient);
        var pumps = new List<Task>(4) { upstream.ReadAsync(_client, cancellationToken) };

        try
        {
            var server = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            if (server is not null)
            {
                pumps.Add(upstream.WriteAsync(server, cancellationToken));
                pumps.Add(downstream.ReadAsync(server, cancellationToken));
                pumps.Add(downstream.WriteAsync(_client, cancellationToken));
            }

            await Task.WhenAll(pumps).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The pumps handle their own failures; this is a last line of defence.
            Log.PumpFailed(_owner.Logger, Id, ex);
            Abort();
            await Task.WhenAll(pumps).ConfigureAwait(false);
        }
        finally
        {
            upstream.ReturnQueuedBuffers();
            downstream.ReturnQueuedBuffers();
            CloseGracefully();
            _owner.OnConnectionFinished(this);
            Log.Closed(_owner.Logger, Id);
        }
    }

    /// <summary>Connects to the target once the client-to-server path is open; null when aborted or failed.</summary>
    private async Task<Socket?> ConnectAsync(CancellationToken cancellationToken)
    {
        Socket? socket = null;
        var target = _owner.Target;
        try
        {
            // A connection accepted during a black hole is held silent: the target does not hear of it yet.
            await _owner.Faults.WaitUntilOpenAsync(FaultDirection.ClientToServer, cancellationToken).ConfigureAwait(false);
            target = _owner.Target;
            socket = target is IPEndPoint ip
                ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
                : new Socket(SocketType.Stream, ProtocolType.Tcp);
            socket.NoDelay = true;

            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(_owner.ConnectTimeout);
                await socket.ConnectAsync(target, timeout.Token).ConfigureAwait(false);
            }

            lock (_gate)
            {
                if (!_closed)
                {
                    _server = socket;
                    socket = null;
                    Log.Connected(_owner.Logger, Id, target);
                    return _server;
                }
            }
        }
        catch (Exception) when (_closed)
        {
            // Aborted while waiting or connecting.
        }
        catch (Exception ex)
        {
            Log.ConnectFailed(_owner.Logger, Id, target, ex);
            Abort();
        }
        finally
        {
            socket?.ResetAndDispose();
        }

        return null;
    }

    /// <summary>Closes both sockets normally once every pump has finished, unless the connection was aborted.</summary>
    private void CloseGracefully()
    {
        Socket? server;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            server = _server;
        }

        _client.Dispose();
        server?.Dispose();
        _aborting.Dispose();
    }
}
