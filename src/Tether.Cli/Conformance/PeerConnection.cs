using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;
using Tether.Protocol;

namespace Tether.Cli.Conformance;

/// <summary>
/// One TCP connection of a scenario. A background loop reads frames as they come, answers PING with PONG when the
/// scenario asks it to, and queues every frame (PINGs included) and the end of the connection for the steps to check.
/// </summary>
internal sealed class PeerConnection : IAsyncDisposable
{
    // Far above any maximum a scenario announces: the runner reports what the peer sent rather than enforcing limits,
    // but an absurd length (e.g. an oversized header echoed back) must not make it allocate gigabytes.
    private const int ReadLimit = 16 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Channel<ReceivedItem> _received = Channel.CreateUnbounded<ReceivedItem>();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;
    private readonly Action<string>? _trace;
    private readonly string _name;

    public PeerConnection(Socket socket, bool autoPong, string name, Action<string>? trace)
    {
        _socket = socket;
        _name = name;
        _trace = trace;
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: false);
        AutoPong = autoPong;
        _reading = Task.Run(ReadLoopAsync);
    }

    public bool AutoPong { get; set; }

    public async Task SendAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        _trace?.Invoke($"{_name} > {(bytes.Length > 64 ? Convert.ToHexStringLower(bytes.AsSpan(0, 64)) + "..." : Convert.ToHexStringLower(bytes))}");
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new ScenarioFailure($"could not send: {ex.InnerException?.Message ?? ex.Message}");
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The next item, or null when none arrived before <paramref name="deadline"/> (a Stopwatch timestamp).</summary>
    public async Task<ReceivedItem?> NextAsync(long deadline, CancellationToken cancellationToken)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
        if (_received.Reader.TryRead(out var ready))
        {
            return ready;
        }

        if (remaining <= TimeSpan.Zero)
        {
            return null;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(remaining);
        try
        {
            return await _received.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>Ends the connection: "reset" (RST, as a crashed peer or a dead link would), or "fin" (orderly).</summary>
    public void Disconnect(string how)
    {
        if (how == "reset")
        {
            _socket.LingerState = new LingerOption(true, 0);
            _socket.Close();
        }
        else
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            // A reset rather than a FIN: the scenario is over, and a lingering close would only slow the next one.
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (ObjectDisposedException)
        {
            // Already reset by a disconnect step.
        }

        _socket.Dispose();
        await _reading.ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _writeLock.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        var header = new byte[ProtocolConstants.HeaderSize];
        try
        {
            while (true)
            {
                if (!await ReadExactlyAsync(header).ConfigureAwait(false))
                {
                    return;
                }

                var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(2));
                if (length > ReadLimit)
                {
                    _received.Writer.TryWrite(new MalformedFrame(Stopwatch.GetTimestamp(), $"type 0x{header[0]:x2} with a body of {length} bytes"));
                    return;
                }

                var encoded = new byte[ProtocolConstants.HeaderSize + length];
                header.CopyTo(encoded, 0);
                if (!await ReadExactlyAsync(encoded.AsMemory(ProtocolConstants.HeaderSize)).ConfigureAwait(false))
                {
                    return;
                }

                var item = FrameDecoder.Decode(Stopwatch.GetTimestamp(), encoded);
                _trace?.Invoke($"{_name} < {item}");
                _received.Writer.TryWrite(item);
                if (AutoPong && item is ReceivedFrame { Type: "PING" } ping)
                {
                    var pong = new byte[FrameWriter.UInt64FrameLength];
                    FrameWriter.WriteUInt64Frame(pong, FrameType.Pong, (ulong)(decimal)ping.Fields["value"]!);
                    try
                    {
                        await SendAsync(pong, _stop.Token).ConfigureAwait(false);
                    }
                    catch (ScenarioFailure)
                    {
                        // The peer is gone; the end of the connection is reported by the read that follows.
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or IOException)
        {
            // Disposed by the scenario's end (or the read was aborted by a reset step): nothing more to read.
        }
        finally
        {
            _received.Writer.TryComplete();
        }
    }

    /// <summary>False (and the end queued) when the connection ended before the buffer was full.</summary>
    private async Task<bool> ReadExactlyAsync(Memory<byte> buffer)
    {
        var filled = 0;
        try
        {
            while (filled < buffer.Length)
            {
                var read = await _stream.ReadAsync(buffer[filled..], _stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    _trace?.Invoke($"{_name} < end (fin)");
                    _received.Writer.TryWrite(new ConnectionEnd(Stopwatch.GetTimestamp(), filled == 0 ? "fin" : "fin in the middle of a frame"));
                    return false;
                }

                filled += read;
            }

            return true;
        }
        catch (IOException ex) when (!_stop.IsCancellationRequested)
        {
            var how = ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset } ? "reset" : ex.InnerException?.Message ?? ex.Message;
            _trace?.Invoke($"{_name} < end ({how})");
            _received.Writer.TryWrite(new ConnectionEnd(Stopwatch.GetTimestamp(), how));
            return false;
        }
    }
}
