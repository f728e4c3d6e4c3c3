using System.Collections.Concurrent;

namespace Tether.FaultProxy;

/// <summary>The open proxied connections, so that they can be counted, reset together and awaited on disposal.</summary>
internal sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<long, ProxyConnection> _connections = new();
    private long _admitted;
    private long _lastId;

    public int OpenCount => _connections.Count;

    public long AdmittedCount => Interlocked.Read(ref _admitted);

    public long NextId() => Interlocked.Increment(ref _lastId);

    public void Add(ProxyConnection connection)
    {
        Interlocked.Increment(ref _admitted);
        _connections[connection.Id] = connection;
    }

    public void Remove(ProxyConnection connection) => _connections.TryRemove(connection.Id, out _);

    /// <returns>The number of connections reset (those not already closed).</returns>
    public int ResetAll()
    {
        var count = 0;
        foreach (var connection in _connections.Values)
        {
            if (connection.Abort())
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Resets every connection and waits for their pumps; call only once no connection can be added.</summary>
    public Task ResetAllAndWaitAsync()
    {
        var remaining = _connections.Values.ToArray();
        foreach (var connection in remaining)
        {
            connection.Abort();
        }

        return Task.WhenAll(remaining.Select(c => c.Completion));
    }
}
