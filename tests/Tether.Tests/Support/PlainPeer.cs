using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tether.Tests.Support;

/// <summary>
/// A plain TCP program on the other end of a plain listener: it writes bytes and reads bytes, with no idea of the Tether
/// protocol. Every read is bounded by <see cref="Timeouts.Event"/>, so a missing byte fails the test instead of hanging it.
/// </summary>
internal sealed class PlainPeer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private PlainPeer(Socket socket) => _socket = socket;

    public static async Task<PlainPeer> ConnectAsync(EndPoint endPoint)
    {
        // NoDelay: a test that writes pieces means them to leave as separate segments, not coalesced by Nagle.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint).WaitAsync(Timeouts.Event);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new PlainPeer(socket);
    }

    public Task SendTextAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        var rest = bytes.AsMemory();
        while (!rest.IsEmpty)
        {
            var sent = await _socket.SendAsync(rest).AsTask().WaitAsync(Timeouts.Event);
            rest = rest[sent..];
        }
    }

    /// <summary>Closes the sending side (FIN), as <c>nc -N</c> does after its input: the peer still reads the answer.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Reads up to and including the next <c>\n</c> and returns the line without it (a <c>\r</c> is kept); null at end of stream.</summary>
    public async Task<string?> ReadLineAsync()
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                var line = Encoding.UTF8.GetString(_buffer, _start, newline - _start);
                _start = newline + 1;
                return line;
            }

            if (!await FillAsync())
            {
                Assert.True(_start == _end, $"the stream ended inside a line: '{Encoding.UTF8.GetString(_buffer, _start, _end - _start)}'");
                return null;
            }
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes; fails if the stream ends first.</summary>
    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        while (_end - _start < count)
        {
            Assert.True(await FillAsync(), $"the stream ended after {_end - _start} of {count} bytes");
        }

        var bytes = _buffer.AsSpan(_start, count).ToArray();
        _start += count;
        return bytes;
    }

    /// <summary>
    /// Asserts that nothing more arrives: the next read is the end of the stream (FIN, not a reset). Then closes this
    /// side, as a well-behaved program does on end of stream; the server waits for that (up to its close linger)
    /// before it reports the connection closed.
    /// </summary>
    public async Task ExpectEndOfStreamAsync()
    {
        var extra = _end - _start;
        var more = extra == 0 && await FillAsync();
        Assert.False(extra > 0 || more, $"expected the end of the stream, got '{Encoding.UTF8.GetString(_buffer, _start, _end - _start)}'");
        _socket.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Reads more bytes into the buffer; false at end of stream.</summary>
    private async Task<bool> FillAsync()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end)).AsTask().WaitAsync(Timeouts.Event);
        _end += read;
        return read > 0;
    }
}
