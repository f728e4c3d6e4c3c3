using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Tether.Server;

/// <summary>
/// A token bucket per source address for new connections (<see cref="RateLimitOptions.ConnectionsPerAddressPerSecond"/>).
/// An IPv6 peer counts by its /64, the block one subscriber usually holds, so an attacker cannot escape the limit by
/// cycling addresses within it. Buckets that have filled up again are dropped once a second, so the table holds only
/// the addresses seen in the last few seconds, however many addresses a flood comes from.
/// </summary>
internal sealed class AddressRateLimiter
{
    private readonly Dictionary<ulong, Bucket> _buckets = [];
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly double _perSecond;
    private readonly int _capacity;
    private long _sweptAt;

    public AddressRateLimiter(TimeProvider time, double perSecond, int capacity)
    {
        _time = time;
        _perSecond = perSecond;
        _capacity = capacity;
        _sweptAt = time.GetTimestamp();
    }

    /// <summary>How many addresses are tracked (for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _buckets.Count;
            }
        }
    }

    /// <summary>True when <paramref name="remote"/> may open a connection now (and takes a token); false when over its rate.</summary>
    public bool TryAcquire(EndPoint? remote)
    {
        if (KeyOf(remote) is not { } key)
        {
            return true;
        }

        lock (_lock)
        {
            var now = _time.GetTimestamp();
            SweepIfDue(now);
            ref var bucket = ref CollectionsMarshal.GetValueRefOrAddDefault(_buckets, key, out var existed);
            bucket.Tokens = existed ? Refilled(bucket, now) : _capacity;
            bucket.RefilledAt = now;
            if (bucket.Tokens < 1)
            {
                return false;
            }

            bucket.Tokens -= 1;
            return true;
        }
    }

    /// <summary>IPv4 addresses (also IPv4-mapped IPv6) as themselves, IPv6 by the first 64 bits; null for other endpoints.</summary>
    internal static ulong? KeyOf(EndPoint? remote)
    {
        if (remote is not IPEndPoint { Address: var address })
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            return null;
        }

        // IPv4 keys carry a prefix no IPv6 /64 a peer can connect from has (ffff::/16 is multicast).
        return address.AddressFamily == AddressFamily.InterNetwork
            ? 0xFFFF_0000_0000_0000UL | System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes[..written])
            : System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes);
    }

    private double Refilled(in Bucket bucket, long now) =>
        Math.Min(_capacity, bucket.Tokens + ((now - bucket.RefilledAt) * _perSecond / _time.TimestampFrequency));

    private void SweepIfDue(long now)
    {
        if (now - _sweptAt < _time.TimestampFrequency)
        {
            return;
        }

        _sweptAt = now;
        foreach (var (key, bucket) in _buckets)
        {
            if (Refilled(bucket, now) >= _capacity)
            {
                _buckets.Remove(key);
            }
        }
    }

    private struct Bucket
    {
        public double Tokens;
        public long RefilledAt;
    }
}
