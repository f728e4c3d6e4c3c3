using System.Buffers;

namespace Tether.Sessions;

/// <summary>
/// The messages one side of a session has sent and the peer has not acknowledged yet, oldest first, numbered
/// contiguously from <see cref="Acknowledged"/> + 1 to <see cref="LastSequence"/>. Payloads live in one pooled byte
/// ring and their lengths in a pooled int ring, so appending and acknowledging allocate nothing in steady state. An
/// empty buffer keeps its arrays until <see cref="TrimIfUnused"/> finds it quiet (the heartbeat calls it), so a session
/// idle for a heartbeat interval holds no arrays. Not thread-safe: the session serialises access.
/// </summary>
internal sealed class ReplayBuffer
{
    // Small on purpose: a broadcast to many sessions rents one of each per session until the peer acknowledges, and
    // the buffers double when a session really holds more.
    private const int MinimumBytes = 256;
    private const int MinimumEntries = 16;

    private byte[]? _bytes;
    private int _byteHead;
    private int _byteCount;
    private int[]? _lengths;
    private int _head;
    private int _count;
    private ulong _lastSequence;
    private ulong _acknowledged;
    private bool _appendedSinceTrim;

    /// <summary>Highest sequence number appended (0 before the first).</summary>
    public ulong LastSequence => _lastSequence;

    /// <summary>Highest sequence number the peer acknowledged; everything up to it has been freed.</summary>
    public ulong Acknowledged => _acknowledged;

    /// <summary>Messages held (sent or waiting to be sent, not acknowledged).</summary>
    public int Count => _count;

    /// <summary>Payload bytes held.</summary>
    public int Bytes => _byteCount;

    /// <summary>Stores a copy of <paramref name="payload"/> and returns the sequence number it gets.</summary>
    public ulong Append(ReadOnlySpan<byte> payload)
    {
        EnsureEntryRoom();
        EnsureByteRoom(payload.Length);
        var bytes = _bytes!;
        var tail = Wrap(_byteHead + _byteCount, bytes.Length);
        var first = Math.Min(payload.Length, bytes.Length - tail);
        payload[..first].CopyTo(bytes.AsSpan(tail));
        payload[first..].CopyTo(bytes);
        _byteCount += payload.Length;

        var lengths = _lengths!;
        lengths[Wrap(_head + _count, lengths.Length)] = payload.Length;
        _appendedSinceTrim = true;
        _count++;
        return ++_lastSequence;
    }

    /// <summary>
    /// Frees every message up to and including <paramref name="ack"/>. An ack at or below <see cref="Acknowledged"/>
    /// frees nothing; one above <see cref="LastSequence"/> acknowledges a message never sent and changes nothing.
    /// </summary>
    public AckOutcome Acknowledge(ulong ack)
    {
        if (ack > _lastSequence)
        {
            return AckOutcome.BeyondLastSent;
        }

        if (ack <= _acknowledged)
        {
            return AckOutcome.Stale;
        }

        var freed = (int)(ack - _acknowledged);
        var lengths = _lengths!;
        var freedBytes = 0;
        for (var i = 0; i < freed; i++)
        {
            freedBytes += lengths[Wrap(_head + i, lengths.Length)];
        }

        _head = Wrap(_head + freed, lengths.Length);
        _count -= freed;
        _byteHead = _byteCount == freedBytes ? 0 : Wrap(_byteHead + freedBytes, _bytes!.Length);
        _byteCount -= freedBytes;
        _acknowledged = ack;
        if (_count == 0)
        {
            // The arrays stay for the next message (a stream of broadcasts would otherwise rent and return them for
            // every one); TrimIfUnused gives them back once the session has been quiet for a while.
            _head = 0;
        }

        return AckOutcome.Freed;
    }

    /// <summary>
    /// Continues numbering after <paramref name="lastSequence"/> with nothing held (a session whose earlier messages were
    /// all acknowledged elsewhere, e.g. restored). Only valid while empty.
    /// </summary>
    public void StartAfter(ulong lastSequence)
    {
        if (_count != 0)
        {
            throw new InvalidOperationException("the replay buffer is not empty");
        }

        _lastSequence = _acknowledged = lastSequence;
    }

    /// <summary>The held messages, oldest first, each as one or two spans (the ring may wrap inside a payload).</summary>
    public Enumerator GetEnumerator() => new(this);

    /// <summary>Copies every held payload out, oldest first (used once, when a session is lost, to hand them back).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> CopyAll()
    {
        var copies = new List<ReadOnlyMemory<byte>>(_count);
        foreach (var entry in this)
        {
            var copy = new byte[entry.Length];
            entry.First.CopyTo(copy);
            entry.Second.CopyTo(copy.AsSpan(entry.First.Length));
            copies.Add(copy);
        }

        return copies;
    }

    /// <summary>True while the ring's arrays are rented (for tests of the idle-memory guarantee).</summary>
    public bool HoldsArrays => _bytes is not null || _lengths is not null;

    /// <summary>
    /// Returns the arrays to the pool if nothing is held and nothing was appended since the previous call: called on
    /// each heartbeat visit, an idle session holds no arrays after at most two of them.
    /// </summary>
    public void TrimIfUnused()
    {
        if (!_appendedSinceTrim)
        {
            ReleaseIfEmpty();
        }

        _appendedSinceTrim = false;
    }

    /// <summary>Returns the arrays to the pool if nothing is held.</summary>
    public void ReleaseIfEmpty()
    {
        if (_count == 0)
        {
            Release();
        }
    }

    /// <summary>Drops everything held and returns the arrays to the pool; numbering is unchanged.</summary>
    public void Clear()
    {
        _acknowledged = _lastSequence;
        Release();
    }

    private void Release()
    {
        if (_bytes is not null)
        {
            ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = null;
        }

        if (_lengths is not null)
        {
            ArrayPool<int>.Shared.Return(_lengths);
            _lengths = null;
        }

        _byteHead = _byteCount = _head = _count = 0;
    }

    /// <summary>
    /// An index into a ring of <paramref name="length"/>, from one that is less than twice that (a position plus a count
    /// held): a subtraction, not the division a remainder costs, on every append and ack.
    /// </summary>
    private static int Wrap(int index, int length) => index >= length ? index - length : index;

    private void EnsureByteRoom(int needed)
    {
        if (_bytes is not null && _bytes.Length - _byteCount >= needed)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(MinimumBytes, Math.Max(_byteCount + needed, (_bytes?.Length ?? 0) * 2)));
        if (_bytes is not null)
        {
            var first = Math.Min(_byteCount, _bytes.Length - _byteHead);
            _bytes.AsSpan(_byteHead, first).CopyTo(larger);
            _bytes.AsSpan(0, _byteCount - first).CopyTo(larger.AsSpan(first));
            ArrayPool<byte>.Shared.Return(_bytes);
        }

        _bytes = larger;
        _byteHead = 0;
    }

    private void EnsureEntryRoom()
    {
        if (_lengths is not null && _count < _lengths.Length)
        {
            return;
        }

        var larger = ArrayPool<int>.Shared.Rent(Math.Max(MinimumEntries, (_lengths?.Length ?? 0) * 2));
        if (_lengths is not null)
        {
            var first = Math.Min(_count, _lengths.Length - _head);
            _lengths.AsSpan(_head, first).CopyTo(larger);
            _lengths.AsSpan(0, _count - first).CopyTo(larger.AsSpan(first));
            ArrayPool<int>.Shared.Return(_lengths);
        }

        _lengths = larger;
        _head = 0;
    }

    /// <summary>One held message: its sequence number and its payload in at most two pieces.</summary>
    public readonly ref struct Entry
    {
        internal Entry(ulong sequence, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
        {
            Sequence = sequence;
            First = first;
            Second = second;
        }

        public ulong Sequence { get; }

        public ReadOnlySpan<byte> First { get; }

        public ReadOnlySpan<byte> Second { get; }

        public int Length => First.Length + Second.Length;
    }

    /// <summary>Walks the held messages without allocating.</summary>
    public ref struct Enumerator
    {
        private readonly ReplayBuffer _buffer;
        private int _index;
        private int _offset;
        private Entry _current;

        internal Enumerator(ReplayBuffer buffer)
        {
            _buffer = buffer;
            _index = -1;
            _offset = buffer._byteHead;
        }

        public readonly Entry Current => _current;

        public bool MoveNext()
        {
            if (_index + 1 >= _buffer._count)
            {
                return false;
            }

            _index++;
            var bytes = _buffer._bytes!;
            var lengths = _buffer._lengths!;
            var length = lengths[Wrap(_buffer._head + _index, lengths.Length)];
            var first = Math.Min(length, bytes.Length - _offset);
            _current = new Entry(
                _buffer._acknowledged + (ulong)_index + 1,
                bytes.AsSpan(_offset, first),
                bytes.AsSpan(0, length - first));
            _offset = Wrap(_offset + length, bytes.Length);
            return true;
        }
    }
}
