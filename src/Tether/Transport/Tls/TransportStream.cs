using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using Tether.Transport.Readiness;

namespace Tether.Transport.Tls;

/// <summary>
/// The socket under a <see cref="TlsTransport"/>, as the <see cref="Stream"/> an <see cref="System.Net.Security.SslStream"/>
/// reads and writes. A zero-byte read waits for input without a buffer (the socket's own readiness: epoll or a zero-byte
/// receive), so an idle TLS connection holds neither this side's nor the <see cref="System.Net.Security.SslStream"/>'s
/// read buffer. The zero-byte read completes only when a receive would really return (a peek says so): a spurious
/// wake-up would make the <see cref="System.Net.Security.SslStream"/> rent its buffer and wait with it. Only the
/// asynchronous methods are used.
/// </summary>
internal sealed class TransportStream : Stream, IReadinessReader, IValueTaskSource<int>
{
    private readonly PlainSocketTransport _socket;
    private ManualResetValueTaskSourceCore<int> _ready = new() { RunContinuationsAsynchronously = true };

    public TransportStream(PlainSocketTransport socket)
    {
        _socket = socket;
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return WaitUntilReady();
        }

        var error = _socket.ReceiveRaw(buffer, out var read);
        return error switch
        {
            SocketError.Success => new ValueTask<int>(read),
            SocketError.WouldBlock => ReadAfterWaitAsync(buffer),
            _ => throw Failure(error),
        };
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _socket.SendRawAsync(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("a TLS transport reads asynchronously only");

    public override void Write(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("a TLS transport writes asynchronously only");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    void IReadinessReader.OnReadable()
    {
        if (ArmUnlessReady())
        {
            return;
        }

        _ready.SetResult(0);
    }

    int IValueTaskSource<int>.GetResult(short token) => _ready.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _ready.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _ready.OnCompleted(continuation, state, token, flags);

    /// <summary>Completes with 0 when bytes, the end of the stream or an error (which the next read reports) are there.</summary>
    private ValueTask<int> WaitUntilReady()
    {
        _ready.Reset();
        return ArmUnlessReady() ? new ValueTask<int>(this, _ready.Version) : new ValueTask<int>(0);
    }

    /// <summary>True when the socket is armed to call back; false when a receive would return now.</summary>
    private bool ArmUnlessReady()
    {
        while (!_socket.PeekReady())
        {
            if (_socket.ArmReadable(this))
            {
                return true;
            }
        }

        return false;
    }

    private static IOException Failure(SocketError error)
    {
        var inner = new SocketException((int)error);
        return new IOException(inner.Message, inner);
    }

    private async ValueTask<int> ReadAfterWaitAsync(Memory<byte> buffer)
    {
        while (true)
        {
            await _socket.WaitReadableAsync().ConfigureAwait(false);
            var error = _socket.ReceiveRaw(buffer, out var read);
            if (error == SocketError.Success)
            {
                return read;
            }

            if (error != SocketError.WouldBlock)
            {
                throw Failure(error);
            }
        }
    }
}
