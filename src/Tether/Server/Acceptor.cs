using System.Net;
using System.Net.Sockets;

namespace Tether.Server;

/// <summary>
/// The server's listening side: binds one <see cref="ServerListener"/> per configured endpoint and runs one accept loop
/// for each, handing every accepted socket to <see cref="ConnectionAdmission"/>.
/// </summary>
internal sealed class Acceptor : IDisposable
{
    private readonly List<ServerListener> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly ServerLog _log;
    private readonly TimeProvider _time;

    public Acceptor(ServerLog log, TimeProvider time)
    {
        _log = log;
        _time = time;
    }

    /// <summary>The listeners bound, in the order of <see cref="TetherServerOptions.AllListeners"/>.</summary>
    public int Count => _listeners.Count;

    /// <summary>The endpoints actually bound (port 0 resolved).</summary>
    public IReadOnlyList<IPEndPoint> EndPoints => [.. _listeners.Select(l => l.EndPoint)];

    public ServerListener this[int index] => _listeners[index];

    /// <summary>True once accepting has started and while every accept loop still runs.</summary>
    public bool IsAccepting
    {
        get
        {
            var loops = _acceptLoops.ToArray();
            return loops.Length > 0 && Array.TrueForAll(loops, loop => !loop.IsCompleted);
        }
    }

    /// <summary>Binds every listener of <paramref name="options"/>, or none: one that cannot be bound releases the others.</summary>
    public void BindAll(TetherServerOptions options)
    {
        try
        {
            foreach (var listenerOptions in options.AllListeners())
            {
                var socket = Bind(listenerOptions.EndPoint, options.ListenBacklog);
                try
                {
                    _listeners.Add(new ServerListener(listenerOptions, socket, options.Heartbeat, _listeners.Count));
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }
        }
        catch
        {
            foreach (var listener in _listeners)
            {
                listener.Dispose();
            }

            _listeners.Clear();
            throw;
        }
    }

    public void StartAccepting(ConnectionAdmission admission)
    {
        foreach (var listener in _listeners)
        {
            _log.Listening(listener.EndPoint, listener.Options.Tls is null ? listener.Options.FramingName : listener.Options.FramingName + " over TLS");
            _acceptLoops.Add(AcceptLoopAsync(listener, admission));
        }
    }

    /// <summary>Closes the listening sockets and completes once every accept loop has returned.</summary>
    public async Task StopAcceptingAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }

        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
    }

    /// <summary>Releases the stop signal; the listening sockets are closed by <see cref="StopAcceptingAsync"/>.</summary>
    public void Dispose() => _stopping.Dispose();

    private static Socket Bind(IPEndPoint endPoint, int backlog)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endPoint);
            socket.Listen(backlog);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            var why = ex.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => "the address is already in use",
                SocketError.AddressNotAvailable => "the address is not available on this machine",
                SocketError.AccessDenied => "permission denied",
                _ => ex.Message,
            };
            throw new TetherException($"cannot listen on {endPoint}: {why}", ex);
        }
    }

    private async Task AcceptLoopAsync(ServerListener listener, ConnectionAdmission admission)
    {
        var endPoint = listener.EndPoint;
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.Socket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Transient (e.g. out of file descriptors): log, back off briefly, keep accepting.
                _log.AcceptFailed(endPoint, ex);
                await Task.Delay(TimeSpan.FromMilliseconds(50), _time, CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            admission.Admit(socket, listener);
        }
    }
}
