using System.Collections.Concurrent;
using System.Diagnostics;

namespace Tether.LoadGen.Net;

/// <summary>
/// One thread that sends every connection's heartbeats: a timing wheel of 50 ms slots, each holding the connections
/// due in it. A visited connection sends a heartbeat if it has sent nothing for its interval and goes back into the
/// slot of its next due time (lazily: traffic in between just moves the due time on). Cost per second is about
/// connections / interval, with no timer per connection. It also runs the delayed session acks.
/// </summary>
internal sealed class HeartbeatWheel : IDisposable
{
    private const int MaxSlots = 4096;
    private static readonly TimeSpan TickTime = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan AckDelay = TimeSpan.FromMilliseconds(200);

    private readonly long _tick = (long)(TickTime.TotalSeconds * Stopwatch.Frequency);
    private readonly long _ackDelay = (long)(AckDelay.TotalSeconds * Stopwatch.Frequency);
    private readonly List<LeanConnection>?[] _slots;
    private readonly ConcurrentQueue<(LeanConnection Connection, long Due)> _incoming = new();
    private readonly ConcurrentQueue<(LeanConnection Connection, long Due)> _acks = new();
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _stopped = new();
    private List<LeanConnection> _spare = [];
    private long _position;

    public HeartbeatWheel(TimeSpan longestInterval)
    {
        var slots = (int)Math.Clamp((longestInterval.Ticks / TickTime.Ticks) + 2, 16, MaxSlots);
        _slots = new List<LeanConnection>?[slots];
        _position = Stopwatch.GetTimestamp() / _tick;
        _thread = new Thread(Run) { IsBackground = true, Name = "heartbeat wheel" };
        _thread.Start();
    }

    /// <summary>
    /// Adds an open connection whose first heartbeat comes after a random part of its interval (the random phase that
    /// keeps thousands of connections opened together from pinging together).
    /// </summary>
    public void Add(LeanConnection connection)
    {
        if (connection.HeartbeatTicks <= 0)
        {
            return;
        }

        connection.Backdate(Random.Shared.NextInt64(connection.HeartbeatTicks));
        _incoming.Enqueue((connection, connection.LastSent + connection.HeartbeatTicks));
    }

    /// <summary>Calls <see cref="LeanConnection.OnAckTimer"/> about 200 ms from now.</summary>
    public void RequestAck(LeanConnection connection) => _acks.Enqueue((connection, Stopwatch.GetTimestamp() + _ackDelay));

    public void Dispose()
    {
        _stopped.Set();
        _thread.Join();
        _stopped.Dispose();
    }

    private void Run()
    {
        while (!_stopped.Wait(TickTime))
        {
            var now = Stopwatch.GetTimestamp();
            while (_incoming.TryDequeue(out var item))
            {
                Schedule(item.Connection, item.Due);
            }

            while (_acks.TryPeek(out var ack) && ack.Due <= now && _acks.TryDequeue(out ack))
            {
                Guard(ack.Connection, static c => c.OnAckTimer());
            }

            var target = now / _tick;
            while (_position <= target)
            {
                Visit(_position, now);
                _position++;
            }
        }
    }

    private void Visit(long position, long now)
    {
        var index = (int)(position % _slots.Length);
        var slot = _slots[index];
        if (slot is null || slot.Count == 0)
        {
            return;
        }

        _slots[index] = _spare;
        foreach (var connection in slot)
        {
            long next;
            try
            {
                next = connection.OnHeartbeat(now, _tick / 2);
            }
            catch (Exception)
            {
                connection.End("heartbeat-error");
                continue;
            }

            if (next >= 0)
            {
                Schedule(connection, next);
            }
        }

        slot.Clear();
        _spare = slot;
    }

    private void Schedule(LeanConnection connection, long due)
    {
        var position = Math.Max(due / _tick, _position + 1);
        position = Math.Min(position, _position + _slots.Length - 1);
        var index = (int)(position % _slots.Length);
        (_slots[index] ??= []).Add(connection);
    }

    private static void Guard(LeanConnection connection, Action<LeanConnection> action)
    {
        try
        {
            action(connection);
        }
        catch (Exception)
        {
            connection.End("ack-error");
        }
    }
}
