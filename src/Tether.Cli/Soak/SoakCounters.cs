using System.Collections.Concurrent;
using Tether.Protocol;

namespace Tether.Cli.Soak;

/// <summary>The run-wide event counts of a soak, updated from many threads.</summary>
internal sealed class SoakCounters
{
    private readonly long[] _faults = new long[Enum.GetValues<FaultKind>().Length];
    private readonly ConcurrentDictionary<SessionId, byte> _lostByClients = new();
    private readonly ConcurrentDictionary<SessionId, byte> _lostByServer = new();
    private long _resumes;
    private long _clientResets;
    private long _serverResets;
    private long _restarts;
    private long _nodeKills;
    private long _corrupt;

    public long Faults => Enumerable.Range(0, _faults.Length).Sum(i => Interlocked.Read(ref _faults[i]));

    public long Resumes => Interlocked.Read(ref _resumes);

    /// <summary>Session losses reported to the clients (SessionLost events).</summary>
    public long ClientResets => Interlocked.Read(ref _clientResets);

    /// <summary>Session losses reported to the server's handler (OnSessionLostAsync calls).</summary>
    public long ServerResets => Interlocked.Read(ref _serverResets);

    public long Restarts => Interlocked.Read(ref _restarts);

    /// <summary>Cluster nodes killed with SIGKILL (--kill-node-every).</summary>
    public long NodeKills => Interlocked.Read(ref _nodeKills);

    /// <summary>Messages that were not well-formed soak messages for their receiver: damaged or misrouted.</summary>
    public long Corrupt => Interlocked.Read(ref _corrupt);

    public IReadOnlyDictionary<FaultKind, long> FaultsByKind =>
        Enum.GetValues<FaultKind>().ToDictionary(kind => kind, kind => Interlocked.Read(ref _faults[(int)kind]));

    /// <summary>Sessions a client reported lost that the server's handler never heard of.</summary>
    public int LostWithoutServerReport => _lostByClients.Keys.Count(id => !_lostByServer.ContainsKey(id));

    public void FaultInjected(FaultKind kind) => Interlocked.Increment(ref _faults[(int)kind]);

    public void Resumed() => Interlocked.Increment(ref _resumes);

    public void Restarted() => Interlocked.Increment(ref _restarts);

    public void NodeKilled() => Interlocked.Increment(ref _nodeKills);

    public void CorruptMessage() => Interlocked.Increment(ref _corrupt);

    public void ClientReportedLost(SessionId session)
    {
        Interlocked.Increment(ref _clientResets);
        _lostByClients.TryAdd(session, 0);
    }

    public void ServerReportedLost(SessionId session)
    {
        Interlocked.Increment(ref _serverResets);
        _lostByServer.TryAdd(session, 0);
    }
}
