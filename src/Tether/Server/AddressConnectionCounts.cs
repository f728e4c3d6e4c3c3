using System.Collections.Concurrent;
using System.Net;

namespace Tether.Server;

/// <summary>
/// Connections held per source address, for <see cref="TetherServerOptions.MaxConnectionsPerAddress"/>. Kept only when
/// that limit is set: an entry per distinct address is memory that a server without the limit need not pay.
/// </summary>
internal sealed class AddressConnectionCounts
{
    private readonly ConcurrentDictionary<IPAddress, int> _counts = new();

    /// <summary>The address a limit counts: an IPv4 peer on a dual-stack socket counts as its IPv4 address.</summary>
    public static IPAddress? AddressOf(EndPoint? endPoint) => endPoint is IPEndPoint { Address: var address }
        ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address)
        : null;

    /// <summary>Counts one more connection from <paramref name="address"/> unless it already holds <paramref name="limit"/>.</summary>
    public bool TryAcquire(IPAddress address, int limit)
    {
        while (true)
        {
            if (_counts.TryGetValue(address, out var count))
            {
                if (count >= limit)
                {
                    return false;
                }

                if (_counts.TryUpdate(address, count + 1, count))
                {
                    return true;
                }
            }
            else if (_counts.TryAdd(address, 1))
            {
                return true;
            }
        }
    }

    /// <summary>Counts one connection from <paramref name="address"/> less; the entry goes with the last one.</summary>
    public void Release(IPAddress address)
    {
        while (_counts.TryGetValue(address, out var count))
        {
            if (count <= 1
                ? _counts.TryRemove(new KeyValuePair<IPAddress, int>(address, count))
                : _counts.TryUpdate(address, count - 1, count))
            {
                return;
            }
        }
    }

    /// <summary>Connections counted for <paramref name="address"/> now.</summary>
    public int CountOf(IPAddress address) => _counts.TryGetValue(address, out var count) ? count : 0;
}
