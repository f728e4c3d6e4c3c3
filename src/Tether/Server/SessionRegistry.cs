using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Tether.Protocol;
using Tether.Sessions;

namespace Tether.Server;

/// <summary>
/// The sessions a server holds, attached or detached, by session id and by client id, plus a bounded memory of sessions
/// that were lost, so that a client resuming one is told why (EXPIRED, OVERFLOW) and how much it lost.
/// </summary>
public sealed class SessionRegistry : IReadOnlyCollection<TetherSession>
{
    // Lookups and enumeration read the tables without a lock; adding and removing (once per session, not per message)
    // take this one, so that the two tables change together.
    private readonly Lock _changes = new();
    private readonly ConcurrentDictionary<SessionId, LostSession> _lost = new();
    private readonly ConcurrentQueue<SessionId> _lostOrder = new();
    private readonly int _rememberLost;
    private readonly KeyedTable<SessionId, TetherSession, SessionIdKey> _byId = new();
    private readonly KeyedTable<string, TetherSession, ClientIdKey> _byClientId = new();

    /// <summary>How many times the tables were rebuilt smaller after a peak (for tests).</summary>
    internal int Rebuilds => _byId.Shrinks + _byClientId.Shrinks;

    internal SessionRegistry(int rememberLost) => _rememberLost = rememberLost;

    /// <summary>Sessions held (attached and detached).</summary>
    public int Count => _byId.Count;

    /// <summary>Finds a session by id.</summary>
    public bool TryGet(SessionId id, [NotNullWhen(true)] out TetherSession? session) => _byId.TryGet(id, out session);

    /// <summary>Finds the current session of <paramref name="clientId"/>.</summary>
    public bool TryGetByClientId(string clientId, [NotNullWhen(true)] out TetherSession? session) => _byClientId.TryGet(clientId, out session);

    /// <summary>Enumerates the sessions without locking or copying.</summary>
    public IEnumerator<TetherSession> GetEnumerator() => _byId.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The id table's slots, to walk in ranges (see <see cref="At"/>).</summary>
    internal object?[] Slots => _byId.Slots;

    /// <summary>The session in slot <paramref name="index"/> of <paramref name="slots"/>, if any.</summary>
    internal static TetherSession? At(object?[] slots, int index) => KeyedTable<SessionId, TetherSession, SessionIdKey>.EntryAt(slots, index);

    /// <summary>Adds a new session; returns the session the same client id had before, if any (it is superseded).</summary>
    internal TetherSession? Add(TetherSession session)
    {
        lock (_changes)
        {
            _byId.Set(session);
            if (session.ClientId is null)
            {
                return null;
            }

            var previous = _byClientId.Set(session);
            return ReferenceEquals(previous, session) ? null : previous;
        }
    }

    /// <summary>Removes a lost session and remembers why it was lost.</summary>
    internal bool Remove(TetherSession session, SessionLostReason reason, long lostMessages)
    {
        lock (_changes)
        {
            if (!_byId.Remove(session))
            {
                return false;
            }

            if (session.ClientId is not null)
            {
                _byClientId.Remove(session);
            }
        }

        RememberLost(session.Id, reason, lostMessages);
        return true;
    }

    /// <summary>
    /// Removes a session that lives on elsewhere (in the cluster's store, or on another node) without remembering it as
    /// lost: a resume then asks the store.
    /// </summary>
    internal bool Forget(TetherSession session)
    {
        lock (_changes)
        {
            if (!_byId.Remove(session))
            {
                return false;
            }

            if (session.ClientId is not null)
            {
                _byClientId.Remove(session);
            }

            return true;
        }
    }

    /// <summary>Remembers why <paramref name="id"/> was lost (bounded); <paramref name="lostMessages"/> -1 = unknown.</summary>
    internal void RememberLost(SessionId id, SessionLostReason reason, long lostMessages)
    {
        if (_rememberLost > 0 && _lost.TryAdd(id, new LostSession(reason, lostMessages)))
        {
            _lostOrder.Enqueue(id);
            while (_lost.Count > _rememberLost && _lostOrder.TryDequeue(out var oldest))
            {
                _lost.TryRemove(oldest, out _);
            }
        }
    }

    /// <summary>Why a session this server no longer holds was lost, if it remembers.</summary>
    internal bool TryGetLost(SessionId id, out LostSession lost) => _lost.TryGetValue(id, out lost);

    /// <summary>What is remembered of a lost session.</summary>
    internal readonly record struct LostSession(SessionLostReason Reason, long LostMessages);

    private readonly struct SessionIdKey : IKeyOf<SessionId, TetherSession>
    {
        public SessionId KeyOf(TetherSession value) => value.Id;
    }

    // Only sessions with a client id are in the client-id table; a session's client id never changes.
    private readonly struct ClientIdKey : IKeyOf<string, TetherSession>
    {
        public string KeyOf(TetherSession value) => value.ClientId!;
    }
}
