using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Tether.Server;

/// <summary>Reads the key an object carries (a connection's id, a session's id); it must not change while the object is in a table.</summary>
internal interface IKeyOf<TKey, TValue>
{
    TKey KeyOf(TValue value);
}

/// <summary>
/// A hash table of objects that carry their own key, for the registries that hold one entry per connection or
/// session. A concurrent dictionary spends a node object per entry (48-56 bytes) plus its bucket; this table stores
/// the object reference alone, in an open-addressed array kept at most half full: 8 bytes per slot, 14-28 bytes per
/// entry. Lookups and enumeration read without a lock (an array is never reused for another key's probe chain once
/// published, and removal leaves a marker rather than moving entries); adding and removing take one lock, which is
/// once per connection or session, never per message. A table larger than 16,384 slots shrinks again when it falls to
/// a sixteenth of its capacity, so a burst does not leave its peak size behind.
/// </summary>
internal sealed class KeyedTable<TKey, TValue, TKeyOf> : IEnumerable<TValue>
    where TKey : notnull
    where TValue : class
    where TKeyOf : struct, IKeyOf<TKey, TValue>
{
    private const int MinimumCapacity = 16;

    // Below this many slots (128 KB) a table is not shrunk: it costs little, and rebuilding it would only churn.
    private const int ShrinkFloor = 16_384;

    // Marks a slot whose entry was removed: probes continue past it (a null would end them too early), adds reuse it.
    private static readonly object Removed = new();

    private readonly Lock _writes = new();
    private object?[] _slots = new object?[MinimumCapacity];
    private int _count;
    private int _used;

    /// <summary>Entries held.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Slots in the current array (for tests of growing and shrinking).</summary>
    internal int Capacity => Volatile.Read(ref _slots).Length;

    /// <summary>How many times the table was rebuilt smaller after a peak (for tests).</summary>
    internal int Shrinks { get; private set; }

    public bool TryGet(TKey key, [NotNullWhen(true)] out TValue? value)
    {
        var slots = Volatile.Read(ref _slots);
        var mask = slots.Length - 1;
        for (var i = Home(key, slots.Length); ; i = (i + 1) & mask)
        {
            var entry = Volatile.Read(ref slots[i]);
            if (entry is null)
            {
                value = null;
                return false;
            }

            if (!ReferenceEquals(entry, Removed) && Matches(Unsafe.As<TValue>(entry), key))
            {
                value = Unsafe.As<TValue>(entry);
                return true;
            }
        }
    }

    /// <summary>Adds <paramref name="value"/> under its key, replacing the entry that held the key before, if any (returned).</summary>
    public TValue? Set(TValue value)
    {
        var key = default(TKeyOf).KeyOf(value);
        lock (_writes)
        {
            var slots = _slots;
            var mask = slots.Length - 1;
            var free = -1;
            var i = Home(key, slots.Length);
            for (; ; i = (i + 1) & mask)
            {
                var entry = slots[i];
                if (entry is null)
                {
                    break;
                }

                if (ReferenceEquals(entry, Removed))
                {
                    free = free < 0 ? i : free;
                }
                else if (Matches(Unsafe.As<TValue>(entry), key))
                {
                    Volatile.Write(ref slots[i], value);
                    return Unsafe.As<TValue>(entry);
                }
            }

            if (free >= 0)
            {
                Volatile.Write(ref slots[free], value);
            }
            else
            {
                Volatile.Write(ref slots[i], value);
                _used++;
            }

            Volatile.Write(ref _count, _count + 1);
            if (_used > slots.Length / 2)
            {
                Rebuild();
            }

            return null;
        }
    }

    /// <summary>Removes <paramref name="value"/> if it is the entry that holds its key (not a newer one that replaced it).</summary>
    public bool Remove(TValue value)
    {
        var key = default(TKeyOf).KeyOf(value);
        lock (_writes)
        {
            var slots = _slots;
            var mask = slots.Length - 1;
            for (var i = Home(key, slots.Length); ; i = (i + 1) & mask)
            {
                var entry = slots[i];
                if (entry is null)
                {
                    return false;
                }

                if (ReferenceEquals(entry, value))
                {
                    Volatile.Write(ref slots[i], Removed);
                    Volatile.Write(ref _count, _count - 1);
                    if (slots.Length > ShrinkFloor && _count < slots.Length / 16)
                    {
                        Rebuild();
                        Shrinks++;
                    }

                    return true;
                }
            }
        }
    }

    /// <summary>Enumerates the entries without locking or copying; entries added or removed meanwhile may or may not be seen.</summary>
    public IEnumerator<TValue> GetEnumerator()
    {
        var slots = Volatile.Read(ref _slots);
        for (var i = 0; i < slots.Length; i++)
        {
            if (EntryAt(slots, i) is { } entry)
            {
                yield return entry;
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The current slot array, for walking it in ranges (<see cref="EntryAt"/>) from several threads at once.</summary>
    internal object?[] Slots => Volatile.Read(ref _slots);

    /// <summary>The entry in slot <paramref name="index"/> of <paramref name="slots"/>, or null for an empty or removed slot.</summary>
    internal static TValue? EntryAt(object?[] slots, int index)
    {
        var entry = Volatile.Read(ref slots[index]);
        return entry is null || ReferenceEquals(entry, Removed) ? null : Unsafe.As<TValue>(entry);
    }

    private static bool Matches(TValue value, TKey key) => EqualityComparer<TKey>.Default.Equals(default(TKeyOf).KeyOf(value), key);

    private static int Home(TKey key, int capacity)
    {
        // Fibonacci hashing: the top bits of the product spread sequential ids (connection ids) over the whole array.
        var hash = (uint)EqualityComparer<TKey>.Default.GetHashCode(key) * 2654435769u;
        return (int)(hash >> (32 - BitOperations.Log2((uint)capacity)));
    }

    /// <summary>Copies the live entries into a fresh array a third full at most, dropping the removal markers; readers keep the old array until they finish.</summary>
    private void Rebuild()
    {
        var capacity = (int)Math.Max(MinimumCapacity, BitOperations.RoundUpToPowerOf2((uint)(_count + 1) * 3));
        var slots = new object?[capacity];
        var mask = capacity - 1;
        foreach (var entry in _slots)
        {
            if (entry is not null && !ReferenceEquals(entry, Removed))
            {
                var i = Home(default(TKeyOf).KeyOf(Unsafe.As<TValue>(entry)), capacity);
                while (slots[i] is not null)
                {
                    i = (i + 1) & mask;
                }

                slots[i] = entry;
            }
        }

        _used = _count;
        Volatile.Write(ref _slots, slots);
    }
}
