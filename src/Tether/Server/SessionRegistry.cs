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
    private readonly ConcurrentDictionary<SessionId, TetherSession> _byId = new();
    private readonly ConcurrentDictionary<string, TetherSession> _byClientId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<SessionId, LostSession> _lost = new();
    private readonly ConcurrentQueue<SessionId> _lostOrder = new();
    private readonly int _rememberLost;

    internal SessionRegistry(int rememberLost) => _rememberLost = rememberLost;

    /// <summary>Sessions held (attached and detached).</summary>
    public int Count => _byId.Count;

    /// <summary>Finds a session by id.</summary>
    public bool TryGet(SessionId id, [NotNullWhen(true)] out TetherSession? session) => _byId.TryGetValue(id, out session);

    /// <summary>Finds the current session of <paramref name="clientId"/>.</summary>
    public bool TryGetByClientId(string clientId, [NotNullWhen(true)] out TetherSession? session) => _byClientId.TryGetValue(clientId, out session);

    /// <summary>Enumerates the sessions without locking or copying.</summary>
    public IEnumerator<TetherSession> GetEnumerator()
    {
        foreach (var pair in _byId)
        {
            yield return pair.Value;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Adds a new session; returns the session the same client id had before, if any (it is superseded).</summary>
    internal TetherSession? Add(TetherSession session)
    {
        _byId[session.Id] = session;
        if (session.ClientId is null)
        {
            return null;
        }

        TetherSession? previous = null;
        _byClientId.AddOrUpdate(
            session.ClientId,
            session,
            (_, existing) =>
            {
                previous = existing;
                return session;
            });
        return ReferenceEquals(previous, session) ? null : previous;
    }

    /// <summary>Removes a lost session and remembers why it was lost.</summary>
    internal bool Remove(TetherSession session, SessionLostReason reason, long lostMessages)
    {
        if (!_byId.TryRemove(new KeyValuePair<SessionId, TetherSession>(session.Id, session)))
        {
            return false;
        }

        if (session.ClientId is { } clientId)
        {
            _byClientId.TryRemove(new KeyValuePair<string, TetherSession>(clientId, session));
        }

        RememberLost(session.Id, reason, lostMessages);
        return true;
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
}
