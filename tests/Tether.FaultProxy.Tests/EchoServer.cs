using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Tether.FaultProxy.Tests;

/// <summary>How a server-side connection ended.</summary>
internal enum CloseKind
{
    Fin,
    Reset,
}

/// <summary>A tiny echo server on 127.0.0.1 that records what each connection saw.</summary>
internal sealed class EchoServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Channel<ServerConnection> _accepted = Channel.CreateUnbounded<ServerConnection>();
    private readonly ConcurrentQueue<ServerConnection> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;
    private int _acceptedCount;

    private EchoServer()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync();
    }

    public IPEndPoint EndPoint { get; }

    public int AcceptedCount => Volatile.Read(ref _acceptedCount);

    public static EchoServer Start() => new();

    public async Task<ServerConnection> NextConnectionAsync() =>
        await _accepted.Reader.ReadAsync().AsTask().WaitAsync(TestTimeouts.Generous);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }

            Interlocked.Increment(ref _acceptedCount);
            var connection = new ServerConnection(socket);
            _connections.Enqueue(connection);
            _accepted.Writer.TryWrite(connection);
        }
    }
}

/// <summary>The server side of one connection: echoes everything, answers a FIN with a FIN.</summary>
internal sealed class ServerConnection : IAsyncDisposable
{
    private readonly ConcurrentQueue<int> _readSizes = new();
    private long _bytesReceived;

    public ServerConnection(Socket socket)
    {
        Socket = socket;
        Closed = EchoAsync();
    }

    public Socket Socket { get; }

    /// <summary>Completes with how the client's side of the stream ended.</summary>
    public Task<CloseKind> Closed { get; }

    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    public IReadOnlyCollection<int> ReadSizes => _readSizes;

    public async ValueTask DisposeAsync()
    {
        Socket.Dispose();
        try
        {
            await Closed;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Closed under the echo loop.
        }
    }

    private async Task<CloseKind> EchoAsync()
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            int read;
            try
            {
                read = await Socket.ReceiveAsync(buffer, SocketFlags.None);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                return CloseKind.Reset;
            }

            if (read == 0)
            {
                Socket.Shutdown(SocketShutdown.Send);
                return CloseKind.Fin;
            }

            _readSizes.Enqueue(read);
            Interlocked.Add(ref _bytesReceived, read);
            try
            {
                await Socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
            {
                return CloseKind.Reset;
            }
        }
    }
}
