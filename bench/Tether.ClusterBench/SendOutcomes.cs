using System.Diagnostics;
using System.Text.Json;
using Tether.LoadGen;
using Tether.Server;

namespace Tether.ClusterBench;

/// <summary>
/// The pusher's side of a run: sends issued, accepted (<see cref="TetherServer.SendToClientAsync"/> returned true),
/// refused (false: the client id was connected nowhere, e.g. while its session moved) and failed (threw), with the
/// duration of the send call itself and the first few error messages.
/// </summary>
internal sealed class SendOutcomes
{
    private readonly Lock _lock = new();
    private readonly LatencyHistogram _calls = new();
    private readonly Dictionary<string, long> _errors = new(StringComparer.Ordinal);
    private readonly IdSet _acceptedIds = new();
    private readonly IdSet _failedIds = new();
    private readonly Dictionary<long, string> _acceptedTargets = [];
    private long _sent;
    private long _accepted;
    private long _refused;
    private long _failed;

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Sends one message and records how it went; true when it was accepted.</summary>
    public async Task<bool> SendAsync(TetherServer server, string clientId, long id, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _sent);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var accepted = await server.SendToClientAsync(clientId, message, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref accepted ? ref _accepted : ref _refused);
            if (accepted)
            {
                _acceptedIds.Add(id);
                lock (_lock)
                {
                    _acceptedTargets[id] = clientId;
                }
            }

            RecordCall(started, null);
            return accepted;
        }
        catch (Exception ex) when (ex is TetherException or TimeoutException)
        {
            Interlocked.Increment(ref _failed);
            _failedIds.Add(id);
            RecordCall(started, ex.Message);
            return false;
        }
    }

    private void RecordCall(long started, string? error)
    {
        var elapsed = Stopwatch.GetTimestamp() - started;
        lock (_lock)
        {
            _calls.Record(elapsed);
            if (error is not null && (_errors.Count < 8 || _errors.ContainsKey(error)))
            {
                _errors[error] = _errors.GetValueOrDefault(error) + 1;
            }
        }
    }

    public void Write(Utf8JsonWriter json)
    {
        json.WriteNumber("sent", Sent);
        json.WriteNumber("accepted", Accepted);
        json.WriteNumber("refused", Interlocked.Read(ref _refused));
        json.WriteNumber("failed", Interlocked.Read(ref _failed));
        lock (_lock)
        {
            json.WritePercentiles(_calls, "call");
            json.WriteCounts("errors", _errors);
        }

        _acceptedIds.Write(json, "acceptedIds");
        _failedIds.Write(json, "failedIds");
        // The client id of each accepted message, in ascending id order, so that a lost message can be traced to its
        // client (still reconnecting at the end, or back with its session and the message missing).
        json.WriteStartArray("acceptedTargets");
        lock (_lock)
        {
            foreach (var (_, clientId) in _acceptedTargets.OrderBy(p => p.Key))
            {
                json.WriteStringValue(clientId);
            }
        }

        json.WriteEndArray();
    }
}
