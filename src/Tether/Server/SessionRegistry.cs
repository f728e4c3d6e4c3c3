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
    // The client-id table (a concurrent dictionary) that once held many sessions is rebuilt smaller when a quarter of
    // that is left, but not below this size, where it costs little and rebuilding would only churn. The id table
    // shrinks by itself.
    private const int ShrinkFloor = 4096;

    // Lookups and enumeration read the tables without a lock; adding and removing (once per session, not per message)
    // take this one, so that the client-id table can be replaced by a smaller copy without losing a concurrent change.
    private readonly Lock _changes = new();
    private readonly ConcurrentDictionary<SessionId, LostSession> _lost = new();
    private readonly ConcurrentQueue<SessionId> _lostOrder = new();
    private readonly int _rememberLost;
    private readonly KeyedTable<SessionId, TetherSession, SessionIdKey> _byId = new();
    private ConcurrentDictionary<string, TetherSession> _byClientId = new(StringComparer.Ordinal);
    private int _peak;

    /// <summary>How many times the client-id table was rebuilt smaller (for tests).</summary>
    internal int Rebuilds { get; private set; }

    internal SessionRegistry(int rememberLost) => _rememberLost = rememberLost;

    /// <summary>Sessions held (attached and detached).</summary>
    public int Count => _byId.Count;

    /// <summary>Finds a session by id.</summary>
    public bool TryGet(SessionId id, [NotNullWhen(true)] out TetherSession? session) => _byId.TryGet(id, out session);

    /// <summary>Finds the current session of <paramref name="clientId"/>.</summary>
    public bool TryGetByClientId(string clientId, [NotNullWhen(true)] out TetherSession? session) => _byClientId.TryGetValue(clientId, out session);

    /// <summary>Enumerates the sessions without locking or copying.</summary>
    public IEnumerator<TetherSession> GetEnumerator() => _byId.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Adds a new session; returns the session the same client id had before, if any (it is superseded).</summary>
    internal TetherSession? Add(TetherSession session)
    {
        lock (_changes)
        {
            _byId.Set(session);
            _peak = Math.Max(_peak, _byId.Count);
            if (session.ClientId is null)
            {
                return null;
            }

            _byClientId.TryGetValue(session.ClientId, out var previous);
            _byClientId[session.ClientId] = session;
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

            if (session.ClientId is { } clientId)
            {
                _byClientId.TryRemove(new KeyValuePair<string, TetherSession>(clientId, session));
            }

            ShrinkAfterPeak();
        }

        RememberLost(session.Id, reason, lostMessages);
        return true;
    }

    /// <summary>
    /// A concurrent dictionary keeps the table of its largest size for good: after a reconnect storm or a burst of
    /// detached sessions it would hold megabytes of empty buckets for the life of the process. Once a quarter of the
    /// peak is left, the client-id table is copied into a right-sized one (under the change lock; readers see the old
    /// table or the new one, both complete).
    /// </summary>
    private void ShrinkAfterPeak()
    {
        var count = _byId.Count;
        if (_peak < ShrinkFloor || count > _peak / 4)
        {
            return;
        }

        _byClientId = new ConcurrentDictionary<string, TetherSession>(_byClientId, StringComparer.Ordinal);
        _peak = count;
        Rebuilds++;
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
}
