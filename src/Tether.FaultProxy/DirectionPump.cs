using System.Buffers;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Tether.FaultProxy;

/// <summary>
/// One direction of a proxied connection: a reader (socket to queue) that discards bytes read during a black hole
/// and stamps delays, and a writer (queue to socket) that honours delays, black holes and slicing. The end of the
/// stream travels through the queue behind the data. Any failure it cannot forward as such aborts the connection.
/// </summary>
internal sealed class DirectionPump
{
    /// <summary>Chunks in flight; bounds memory and gives back-pressure while delaying.</summary>
    private const int QueueCapacity = 64;

    private readonly TcpFaultProxy _proxy;
    private readonly ProxyConnection _connection;
    private readonly FaultDirection _direction;
    private readonly Channel<Chunk> _queue =
        Channel.CreateBounded<Chunk>(new BoundedChannelOptions(QueueCapacity) { SingleReader = true, SingleWriter = true });

    public DirectionPump(TcpFaultProxy proxy, ProxyConnection connection, FaultDirection direction)
    {
        _proxy = proxy;
        _connection = connection;
        _direction = direction;
    }

    public async Task ReadAsync(Socket source, CancellationToken cancellationToken)
    {
        var queue = _queue.Writer;
        var bufferSize = _proxy.BufferSize;
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                buffer ??= ArrayPool<byte>.Shared.Rent(bufferSize);
                int read;
                var reset = false;
                try
                {
                    read = await source.ReceiveAsync(buffer.AsMemory(0, bufferSize), SocketFlags.None, cancellationToken)
                        .ConfigureAwait(false);
                }
                catch (SocketException) when (!_connection.IsClosed)
                {
                    read = 0;
                    reset = true;
                }

                var fault = _proxy.Faults.Get(_direction);
                if (read == 0)
                {
                    // The writer holds the end back while the direction is black-holed.
                    await queue.WriteAsync(Chunk.End(reset, DelayLine.DueTimestamp(fault)), cancellationToken).ConfigureAwait(false);
                    return;
                }

                if (fault.Mode == FaultMode.BlackHole)
                {
                    continue; // Discarded, like packets into a dead network.
                }

                await queue.WriteAsync(new Chunk(buffer, read, DelayLine.DueTimestamp(fault), Reset: false), cancellationToken)
                    .ConfigureAwait(false);
                buffer = null; // Now owned by the writer.
            }
        }
        catch (Exception) when (_connection.IsClosed)
        {
            // Aborted: the socket was reset under us.
        }
        catch (Exception ex)
        {
            Log.PumpFailed(_proxy.Logger, _connection.Id, ex);
            _connection.Abort();
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    public async Task WriteAsync(Socket destination, CancellationToken cancellationToken)
    {
        var queue = _queue.Reader;
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
                            await DelayLine.WaitUntilAsync(chunk.DueTimestamp, cancellationToken).ConfigureAwait(false);
                        }

                        if (chunk.Buffer is null)
                        {
                            await ForwardEndAsync(destination, chunk.Reset, cancellationToken).ConfigureAwait(false);
                            return;
                        }

                        await ChunkSender.SendAsync(_proxy, _direction, destination, chunk, cancellationToken).ConfigureAwait(false);
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
        catch (Exception) when (_connection.IsClosed)
        {
            // Aborted.
        }
        catch (SocketException)
        {
            // The destination went away (reset or broken pipe): pass the reset on to the other side.
            Log.ResetForwarded(_proxy.Logger, _connection.Id, _direction);
            _connection.Abort();
        }
        catch (Exception ex)
        {
            Log.PumpFailed(_proxy.Logger, _connection.Id, ex);
            _connection.Abort();
        }
    }

    /// <summary>Returns the buffers of chunks that were never written; call once both loops have finished.</summary>
    public void ReturnQueuedBuffers()
    {
        while (_queue.Reader.TryRead(out var chunk))
        {
            if (chunk.Buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(chunk.Buffer);
            }
        }
    }

    private async ValueTask ForwardEndAsync(Socket destination, bool reset, CancellationToken cancellationToken)
    {
        // A black hole closes nothing: the FIN or reset waits for the path to come back.
        await _proxy.Faults.WaitUntilOpenAsync(_direction, cancellationToken).ConfigureAwait(false);
        if (reset)
        {
            Log.ResetForwarded(_proxy.Logger, _connection.Id, _direction);
            _connection.Abort();
        }
        else
        {
            destination.Shutdown(SocketShutdown.Send);
            Log.FinForwarded(_proxy.Logger, _connection.Id, _direction);
        }
    }
}
