using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Tether.FaultProxy;

/// <summary>
/// One proxied connection: the client socket, the target socket once connected, and for each direction a reader
/// (socket to queue) and a writer (queue to socket). Readers apply black holes and stamp delays; writers honour
/// delays, black holes and slicing. End of stream and resets travel through the queue behind the data.
/// </summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "The connection's lifetime is explicit: whichever of Abort and CloseGracefully closes it disposes _aborting.")]
internal sealed class ProxyConnection
{
    /// <summary>Chunks in flight per direction; bounds memory and gives back-pressure while delaying.</summary>
    private const int QueueCapacity = 64;

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
        TcpFaultProxy.ResetSocket(_client);
        if (server is not null)
        {
            TcpFaultProxy.ResetSocket(server);
        }

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

    private static Channel<Chunk> CreateQueue() =>
        Channel.CreateBounded<Chunk>(new BoundedChannelOptions(QueueCapacity) { SingleReader = true, SingleWriter = true });

    private async Task RunAsync()
    {
        var cancellationToken = _abortToken;
        var upstream = CreateQueue();
        var downstream = CreateQueue();
        var pumps = new List<Task>(4)
        {
            ReadAsync(_client, FaultDirection.ClientToServer, upstream.Writer, cancellationToken),
        };

        try
        {
            var server = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            if (server is not null)
            {
                pumps.Add(WriteAsync(upstream.Reader, server, FaultDirection.ClientToServer, cancellationToken));
                pumps.Add(ReadAsync(server, FaultDirection.ServerToClient, downstream.Writer, cancellationToken));
                pumps.Add(WriteAsync(downstream.Reader, _client, FaultDirection.ServerToClient, cancellationToken));
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
            Drain(upstream.Reader);
            Drain(downstream.Reader);
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
            await _owner.WaitUntilOpenAsync(FaultDirection.ClientToServer, cancellationToken).ConfigureAwait(false);
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
            if (socket is not null)
            {
                TcpFaultProxy.ResetSocket(socket);
            }
        }

        return null;
    }

    private async Task ReadAsync(Socket source, FaultDirection direction, ChannelWriter<Chunk> queue, CancellationToken cancellationToken)
    {
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                buffer ??= ArrayPool<byte>.Shared.Rent(_owner.BufferSize);
                int read;
                var reset = false;
                try
                {
                    read = await source.ReceiveAsync(buffer.AsMemory(0, _owner.BufferSize), SocketFlags.None, cancellationToken)
                        .ConfigureAwait(false);
                }
                catch (SocketException) when (!_closed)
                {
                    read = 0;
                    reset = true;
                }

                var fault = _owner.GetFault(direction);
                if (read == 0)
                {
                    // The writer holds the end back while the direction is black-holed.
                    await queue.WriteAsync(Chunk.End(reset, DueTimestamp(fault)), cancellationToken).ConfigureAwait(false);
                    return;
                }

                if (fault.Mode == FaultMode.BlackHole)
                {
                    continue; // Discarded, like packets into a dead network.
                }

                await queue.WriteAsync(new Chunk(buffer, read, DueTimestamp(fault), Reset: false), cancellationToken).ConfigureAwait(false);
                buffer = null; // Now owned by the writer.
            }
        }
        catch (Exception) when (_closed)
        {
            // Aborted: the socket was reset under us.
        }
        catch (Exception ex)
        {
            Log.PumpFailed(_owner.Logger, Id, ex);
            Abort();
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private async Task WriteAsync(ChannelReader<Chunk> queue, Socket destination, FaultDirection direction, CancellationToken cancellationToken)
    {
        try
        {
            while (await queue.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (queue.TryRead(out var chunk))
                {
                    try
                    {
                        if (chunk.DueTimestamp != 0)
                        {
                            await WaitUntilAsync(chunk.DueTimestamp, cancellationToken).ConfigureAwait(false);
                        }

                        if (chunk.Buffer is null)
                        {
                            await _owner.WaitUntilOpenAsync(direction, cancellationToken).ConfigureAwait(false);
                            if (chunk.Reset)
                            {
                                Log.ResetForwarded(_owner.Logger, Id, direction);
                                Abort();
                            }
                            else
                            {
                                destination.Shutdown(SocketShutdown.Send);
                                Log.FinForwarded(_owner.Logger, Id, direction);
                            }

                            return;
                        }

                        await SendAsync(destination, chunk, direction, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        if (chunk.Buffer is not null)
                        {
                            ArrayPool<byte>.Shared.Return(chunk.Buffer);
                        }
                    }
                }
            }
        }
        catch (Exception) when (_closed)
        {
            // Aborted.
        }
        catch (SocketException)
        {
            // The destination went away (reset or broken pipe): pass the reset on to the other side.
            Log.ResetForwarded(_owner.Logger, Id, direction);
            Abort();
        }
        catch (Exception ex)
        {
            Log.PumpFailed(_owner.Logger, Id, ex);
            Abort();
        }
    }

    /// <summary>Writes a chunk, re-reading the fault before each piece so a mode change applies mid-chunk.</summary>
    private async ValueTask SendAsync(Socket destination, Chunk chunk, FaultDirection direction, CancellationToken cancellationToken)
    {
        var offset = 0;
        while (offset < chunk.Count)
        {
            var fault = _owner.GetFault(direction);
            if (fault.Mode == FaultMode.BlackHole)
            {
                return; // The rest of the chunk is lost.
            }

            var slicing = fault.Mode == FaultMode.Slice;
            var length = slicing ? Math.Min(chunk.Count - offset, fault.SliceBytes) : chunk.Count - offset;
            var piece = chunk.Buffer.AsMemory(offset, length);
            while (!piece.IsEmpty)
            {
                var sent = await destination.SendAsync(piece, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                piece = piece[sent..];
            }

            offset += length;
            _owner.AddForwarded(length);
            if (slicing && fault.SlicePause > TimeSpan.Zero)
            {
                await Task.Delay(fault.SlicePause, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static long DueTimestamp(FaultSettings fault) =>
        fault.Mode == FaultMode.Delay && fault.Delay > TimeSpan.Zero
            ? Stopwatch.GetTimestamp() + (long)(fault.Delay.TotalSeconds * Stopwatch.Frequency)
            : 0;

    /// <summary>Waits until the stopwatch reaches <paramref name="dueTimestamp"/>; never returns early.</summary>
    private static async ValueTask WaitUntilAsync(long dueTimestamp, CancellationToken cancellationToken)
    {
        while (true)
        {
            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), dueTimestamp);
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }

            // Timers have millisecond granularity and may fire a little early: round up and check again.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(remaining.TotalMilliseconds)), cancellationToken)
                .ConfigureAwait(false);
        }
    }

    private static void Drain(ChannelReader<Chunk> queue)
    {
        while (queue.TryRead(out var chunk))
        {
            if (chunk.Buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(chunk.Buffer);
            }
        }
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

    private readonly record struct Chunk(byte[]? Buffer, int Count, long DueTimestamp, bool Reset)
    {
        public static Chunk End(bool reset, long dueTimestamp) => new(null, 0, dueTimestamp, reset);
    }
}
