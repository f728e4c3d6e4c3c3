using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;
using Tether.Admin.Dashboard;

namespace Tether.Admin.Tests.Dashboard;

/// <summary>
/// The dashboard's history: what the Tether.Server instruments report in a second becomes one sample, on a fake clock.
/// Each test listens to a meter of its own (by reference, under a name no real server uses) so parallel tests do not mix.
/// </summary>
public sealed class DashboardSamplerTests : IDisposable
{
    private readonly Meter _meter = new("Tether.Server.DashboardTests");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
    private int _connections;
    private int _sessions;

    public void Dispose() => _meter.Dispose();

    private DashboardSampler NewSampler(int historySeconds = 300) =>
        new(() => (_connections, _sessions), historySeconds, _time, meter => ReferenceEquals(meter, _meter));

    [Fact]
    public void One_second_of_measurements_becomes_one_sample_and_the_next_second_starts_from_zero()
    {
        var accepted = _meter.CreateCounter<long>("tether.connections.accepted");
        var closed = _meter.CreateCounter<long>("tether.connections.closed");
        var timeouts = _meter.CreateCounter<long>("tether.heartbeat.timeouts");
        var rtt = _meter.CreateHistogram<double>("tether.heartbeat.rtt");
        var started = _meter.CreateCounter<long>("tether.session.started");
        var resumed = _meter.CreateCounter<long>("tether.session.resumed");
        var lost = _meter.CreateCounter<long>("tether.session.lost");
        var expired = _meter.CreateCounter<long>("tether.session.expired");
        using var sampler = NewSampler();

        accepted.Add(3);
        closed.Add(1, new KeyValuePair<string, object?>("reason", "heartbeat-timeout"));
        closed.Add(2, new KeyValuePair<string, object?>("reason", "client-closed"));
        timeouts.Add(1);
        rtt.Record(0.4);
        rtt.Record(30);
        rtt.Record(30);
        rtt.Record(5_000);
        started.Add(2);
        resumed.Add(1);
        lost.Add(1, new KeyValuePair<string, object?>("reason", "expired"));
        expired.Add(4);
        _connections = 7;
        _sessions = 5;
        _time.Advance(TimeSpan.FromSeconds(1));
        _connections = 6;
        _time.Advance(TimeSpan.FromSeconds(1));

        var samples = sampler.Ring.After(0);
        Assert.Equal(2, samples.Count);
        var first = samples[0];
        Assert.Equal(1, first.Sequence);
        Assert.Equal(_time.GetUtcNow() - TimeSpan.FromSeconds(1), first.Time);
        Assert.Equal(7, first.Connections);
        Assert.Equal(5, first.Sessions);
        Assert.Equal(3, first.Counts.Connects);
        Assert.Equal(1, first.Counts.Disconnects["heartbeat-timeout"]);
        Assert.Equal(2, first.Counts.Disconnects["client-closed"]);
        Assert.Equal(1, first.Counts.HeartbeatTimeouts);
        Assert.Equal(2, first.Counts.SessionsStarted);
        Assert.Equal(1, first.Counts.SessionsResumed);
        Assert.Equal(1, first.Counts.SessionsLost);
        Assert.Equal(4, first.Counts.SessionsExpired);
        Assert.Equal(1, first.Counts.Rtt[RttBuckets.IndexOf(0.4)]);
        Assert.Equal(2, first.Counts.Rtt[RttBuckets.IndexOf(30)]);
        Assert.Equal(1, first.Counts.Rtt[^1]);
        Assert.Equal(4, first.Counts.Rtt.Sum());

        var second = samples[1];
        Assert.Equal(2, second.Sequence);
        Assert.Equal(6, second.Connections);
        Assert.Equal(0, second.Counts.Connects);
        Assert.Empty(second.Counts.Disconnects);
        Assert.Equal(0, second.Counts.Rtt.Sum());
    }

    [Fact]
    public void Instruments_of_other_meters_and_other_names_are_not_counted()
    {
        using var other = new Meter("Tether.Server.DashboardTests");
        var otherAccepted = other.CreateCounter<long>("tether.connections.accepted");
        var bytes = _meter.CreateCounter<long>("tether.bytes.sent");
        using var sampler = NewSampler();

        otherAccepted.Add(5);
        bytes.Add(1_000);
        _time.Advance(TimeSpan.FromSeconds(1));

        var sample = Assert.Single(sampler.Ring.After(0));
        Assert.Equal(0, sample.Counts.Connects);
    }

    [Fact]
    public void The_ring_keeps_the_last_samples_and_answers_from_a_sequence_number()
    {
        using var sampler = NewSampler(historySeconds: 10);

        for (var i = 1; i <= 25; i++)
        {
            _connections = i;
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        var kept = sampler.Ring.After(0);
        Assert.Equal(10, kept.Count);
        Assert.Equal(Enumerable.Range(16, 10), kept.Select(s => (int)s.Sequence));
        Assert.Equal(Enumerable.Range(16, 10), kept.Select(s => s.Connections));
        Assert.Equal([24L, 25L], sampler.Ring.After(23).Select(s => s.Sequence));
        Assert.Empty(sampler.Ring.After(25));
        Assert.Equal(26, sampler.Ring.NextSequence);
    }

    [Fact]
    public void No_sample_is_taken_after_the_sampler_is_disposed()
    {
        var sampler = NewSampler();
        _time.Advance(TimeSpan.FromSeconds(1));
        sampler.Dispose();
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Single(sampler.Ring.After(0));
    }

    [Fact]
    public void Distinct_close_reasons_beyond_the_cap_fold_into_other()
    {
        var tally = new SecondTally();
        for (var i = 0; i < SecondTally.MaxReasons + 5; i++)
        {
            tally.AddDisconnects("reason-" + i, 1);
        }

        tally.AddDisconnects(null, 2);
        var counts = tally.TakeAndReset();

        Assert.True(counts.Disconnects.Count <= SecondTally.MaxReasons + 1);
        Assert.Equal(SecondTally.MaxReasons + 5 + 2, counts.Disconnects.Values.Sum());
        Assert.True(counts.Disconnects[SecondTally.OtherReason] >= 5);
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(1.0, 0)]
    [InlineData(1.5, 1)]
    [InlineData(1000.0, 9)]
    [InlineData(1000.1, 10)]
    public void Round_trip_times_fall_in_buckets_by_inclusive_upper_bound(double milliseconds, int bucket) =>
        Assert.Equal(bucket, RttBuckets.IndexOf(milliseconds));

    [Theory]
    [InlineData(5, 10, 1, "HistorySeconds")]
    [InlineData(300, 0, 1, "TopClients")]
    [InlineData(300, 10, 0, "ScanLimit")]
    public void Bad_settings_are_refused_with_the_key_named(int history, int top, int scanLimit, string key)
    {
        var options = new DashboardOptions { HistorySeconds = history, TopClients = top, ScanLimit = scanLimit };
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("Tether:Admin:Dashboard:" + key, error.Message, StringComparison.Ordinal);
    }
}
