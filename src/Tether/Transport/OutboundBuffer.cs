using System.Buffers;

namespace Tether.Transport;

/// <summary>
/// Bytes waiting to be written to one socket. Frames from any thread are encoded straight into it (under the
/// transport's send lock), so many small frames leave in one send call. The array is pooled and handed back as soon as
/// it is empty, so an idle connection holds no send buffer.
/// </summary>
internal class OutboundBuffer : IBufferWriter<byte>
{
    private const int MinimumSize = 1024;
    private byte[]? _buffer;
    private int _length;

    public int Length => _length;

    /// <summary>What has been written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public void Advance(int count) => _length += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_length);
    }

    /// <summary>Takes the filled array out (the caller returns it to the pool after sending) and starts empty.</summary>
    public byte[]? Take(out int length)
    {
        var buffer = _buffer;
        length = _length;
        _buffer = null;
        _length = 0;
        return buffer;
    }

    /// <summary>Returns the array to the pool, dropping whatever it held.</summary>
    public void Release()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }

        _length = 0;
    }

    private void Ensure(int sizeHint)
    {
        var needed = _length + Math.Max(sizeHint, 1);
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(needed, MinimumSize));
        }
        else if (needed > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
    }
}
