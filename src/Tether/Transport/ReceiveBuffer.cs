using System.Buffers;

namespace Tether.Transport;

/// <summary>
/// Bytes received and not yet consumed. The array is rented from the pool only when bytes arrive, grows up to one
/// maximum frame, and goes back as soon as every byte is consumed, so an idle connection holds none. A struct inside
/// the transport: no object of its own.
/// </summary>
internal struct ReceiveBuffer
{
    private const int InitialSize = 4096;

    private byte[]? _array;
    private int _start;
    private int _end;
    private int _max;

    public ReceiveBuffer(int maxSize)
    {
        _max = Math.Max(maxSize, InitialSize);
    }

    /// <summary>True while an array is rented.</summary>
    public readonly bool IsRented => _array is not null;

    /// <summary>The bytes not yet consumed.</summary>
    public readonly ReadOnlyMemory<byte> Unread => _array.AsMemory(_start, _end - _start);

    /// <summary>Largest size the buffer may grow to (one frame, header included).</summary>
    public void SetMaxSize(int bytes) => _max = Math.Max(bytes, InitialSize);

    /// <summary>Room to receive into after what is unread: rents, compacts or grows as needed.</summary>
    public Memory<byte> GetFreeSpace()
    {
        if (_array is null)
        {
            _array = ArrayPool<byte>.Shared.Rent(InitialSize);
            return _array;
        }

        if (_start > 0)
        {
            _array.AsSpan(_start, _end - _start).CopyTo(_array);
            _end -= _start;
            _start = 0;
        }

        if (_end == _array.Length)
        {
            if (_array.Length >= _max)
            {
                throw new InvalidOperationException("receive buffer is full; the framing should have rejected this frame");
            }

            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_max, _array.Length * 2));
            _array.AsSpan(0, _end).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_array);
            _array = larger;
        }

        return _array.AsMemory(_end);
    }

    /// <summary>Counts <paramref name="count"/> bytes just received into <see cref="GetFreeSpace"/>.</summary>
    public void Commit(int count) => _end += count;

    /// <summary>Marks <paramref name="count"/> bytes from the front as used; the array goes back once all are.</summary>
    public void Consume(int count)
    {
        _start += count;
        if (_start == _end)
        {
            Release();
        }
    }

    /// <summary>Returns the array if nothing in it is unread.</summary>
    public void ReleaseIfEmpty()
    {
        if (_array is not null && _start == _end)
        {
            Release();
        }
    }

    /// <summary>Returns the array to the pool, dropping whatever it held.</summary>
    public void Release()
    {
        if (_array is not null)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = null;
        }

        _start = 0;
        _end = 0;
    }
}
