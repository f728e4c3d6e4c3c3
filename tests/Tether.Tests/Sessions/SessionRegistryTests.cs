using Tether.Protocol;
using Tether.Server;
using Tether.Sessions;
using Tether.Tests.Support;

namespace Tether.Tests.Sessions;

/// <summary>The registry's tables after a peak: rebuilt smaller, and nothing lost or found twice on the way.</summary>
public sealed class SessionRegistryTests
{
    [Fact]
    public async Task After_a_peak_the_tables_are_rebuilt_smaller_without_losing_a_concurrent_change()
    {
        var server = new TetherServer(new TetherServerOptions(), new RecordingHandler());
        var registry = new SessionRegistry(rememberLost: 100);
        var peak = Enumerable.Range(0, 20_000).Select(i => new TetherSession(server, SessionId.NewRandom(), $"peak-{i}")).ToList();
        foreach (var session in peak)
        {
            registry.Add(session);
        }

        // Remove down past a quarter of the peak (at most 22,000, and 2,500 are left: the tables are rebuilt) while other
        // sessions come and go.
        var keep = peak.Take(500).ToList();
        var churn = Task.Run(() =>
        {
            var added = new List<TetherSession>();
            for (var i = 0; i < 2_000; i++)
            {
                var session = new TetherSession(server, SessionId.NewRandom(), $"churn-{i}");
                registry.Add(session);
                added.Add(session);
            }

            return added;
        });
        foreach (var session in peak.Skip(500))
        {
            registry.Remove(session, SessionLostReason.Expired, 0);
        }

        var churned = await churn;
        foreach (var session in keep.Concat(churned))
        {
            Assert.True(registry.TryGet(session.Id, out var found) && ReferenceEquals(found, session));
            Assert.True(registry.TryGetByClientId(session.ClientId!, out var byClient) && ReferenceEquals(byClient, session));
        }

        var enumerated = 0;
        foreach (var unused in registry)
        {
            enumerated++;
        }

        Assert.Equal(2_500, registry.Count);
        Assert.Equal(2_500, enumerated);
        Assert.False(registry.TryGetByClientId("peak-5000", out _));
        Assert.True(registry.Rebuilds >= 1);
    }

    [Fact]
    public void A_registry_that_stayed_small_is_never_rebuilt()
    {
        var server = new TetherServer(new TetherServerOptions(), new RecordingHandler());
        var registry = new SessionRegistry(rememberLost: 100);
        var sessions = Enumerable.Range(0, 4_000).Select(i => new TetherSession(server, SessionId.NewRandom(), $"c-{i}")).ToList();
        foreach (var session in sessions)
        {
            registry.Add(session);
        }

        foreach (var session in sessions)
        {
            registry.Remove(session, SessionLostReason.Expired, 0);
        }

        Assert.Equal(0, registry.Rebuilds);
        Assert.Empty(registry);
    }
}
