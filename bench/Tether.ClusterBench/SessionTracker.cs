using System.Diagnostics;
using System.Text.Json;
using Tether.Client;

namespace Tether.ClusterBench;

/// <summary>
/// Per client, once the process is ready: when it first lost its connection, and when its session was then resumed
/// (on whichever node) or reported lost. <see cref="TetherClient"/> raises each client's events one at a time, so a
/// client's slots need no lock.
/// </summary>
internal sealed class SessionTracker(int clients)
{
    private readonly long[] _disconnectedAt = new long[clients];
    private readonly long[] _resumedAt = new long[clients];
    private readonly long[] _lostAt = new long[clients];
    private volatile bool _armed;

    /// <summary>Starts watching: changes before this (the initial connects) do not count.</summary>
    public void Arm() => _armed = true;

    public void Attach(TetherClient client, int index)
    {
        client.StateChanged += (_, e) =>
        {
            if (_armed && e.Current == ClientState.Reconnecting && _disconnectedAt[index] == 0)
            {
                _disconnectedAt[index] = Stopwatch.GetTimestamp();
            }
        };
        client.SessionResumed += (_, _) => Mark(_resumedAt, index);
        client.SessionLost += (_, _) => Mark(_lostAt, index);
    }

    private void Mark(long[] slots, int index)
    {
        if (_armed && _disconnectedAt[index] != 0 && slots[index] == 0)
        {
            slots[index] = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>
    /// <c>disconnected</c> (clients that lost their connection), and the timestamps of each one's resume and session
    /// loss (0: none), in the same order, plus the first disconnect.
    /// </summary>
    public void Write(Utf8JsonWriter json, Func<int, string> clientId)
    {
        var disconnected = Enumerable.Range(0, _disconnectedAt.Length).Where(i => _disconnectedAt[i] != 0).ToArray();
        json.WriteNumber("frequency", Stopwatch.Frequency);
        json.WriteNumber("disconnected", disconnected.Length);
        json.WriteNumber("resumed", disconnected.Count(i => _resumedAt[i] != 0));
        json.WriteNumber("sessionLost", disconnected.Count(i => _lostAt[i] != 0));
        json.WriteNumber("firstDisconnectAt", disconnected.Length == 0 ? 0 : disconnected.Min(i => _disconnectedAt[i]));
        json.WriteStartArray("disconnectedIds");
        foreach (var i in disconnected)
        {
            json.WriteStringValue(clientId(i));
        }

        json.WriteEndArray();
        json.WriteStartArray("resumedAt");
        foreach (var i in disconnected)
        {
            json.WriteNumberValue(_resumedAt[i]);
        }

        json.WriteEndArray();
        json.WriteStartArray("lostAt");
        foreach (var i in disconnected)
        {
            json.WriteNumberValue(_lostAt[i]);
        }

        json.WriteEndArray();
    }
}
