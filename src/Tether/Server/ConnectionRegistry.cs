using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Tether.Server;

/// <summary>
/// The live connections of a server, by connection id and by client id. A client id belongs to at most one
/// connection: a newer connection presenting the same id takes it over (the older one is closed with REPLACED).
/// </summary>
public sealed class ConnectionRegistry : IReadOnlyCollection<TetherConnection>
{
    private readonly KeyedTable<long, TetherConnection, ConnectionIdKey> _byId = new();
    private readonly KeyedTable<string, TetherConnection, ClientIdKey> _byClientId = new();

    /// <summary>Connections accepted and not yet closed (including those still in their handshake).</summary>
    public int Count => _byId.Count;

    /// <summary>Finds a connection by its id.</summary>
    public bool TryGet(long connectionId, [NotNullWhen(true)] out TetherConnection? connection) => _byId.TryGet(connectionId, out connection);

    /// <summary>Finds the connection that currently holds <paramref name="clientId"/>.</summary>
    public bool TryGetByClientId(string clientId, [NotNullWhen(true)] out TetherConnection? connection) => _byClientId.TryGet(clientId, out connection);

    /// <summary>
    /// Enumerates the live connections without locking or copying the registry (a broadcast walks it once per
    /// message). Connections added or removed meanwhile may or may not be seen.
    /// </summary>
    public IEnumerator<TetherConnection> GetEnumerator() => _byId.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal void Add(TetherConnection connection) => _byId.Set(connection);

    /// <summary>The id table's slots, to walk in ranges (see <see cref="At"/>).</summary>
    internal object?[] Slots => _byId.Slots;

    /// <summary>The connection in slot <paramref name="index"/> of <paramref name="slots"/>, if any.</summary>
    internal static TetherConnection? At(object?[] slots, int index) => KeyedTable<long, TetherConnection, ConnectionIdKey>.EntryAt(slots, index);

    /// <summary>Binds the connection's client id; returns the connection that held it before, if any.</summary>
    internal TetherConnection? BindClientId(TetherConnection connection)
    {
        var previous = _byClientId.Set(connection);
        return ReferenceEquals(previous, connection) ? null : previous;
    }

    internal void Remove(TetherConnection connection)
    {
        _byId.Remove(connection);
        if (connection.ClientId is not null)
        {
            _byClientId.Remove(connection);
        }
    }

    private readonly struct ConnectionIdKey : IKeyOf<long, TetherConnection>
    {
        public long KeyOf(TetherConnection value) => value.Id;
    }

    // A connection's client id is set once, before it is bound, and never changes.
    private readonly struct ClientIdKey : IKeyOf<string, TetherConnection>
    {
        public string KeyOf(TetherConnection value) => value.ClientId!;
    }
}
