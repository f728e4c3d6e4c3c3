using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Tether.Client;
using Tether.Diagnostics;
using Tether.Tests.Support;

namespace Tether.Tests.Diagnostics;

/// <summary>Applications reach the instruments by meter name only; every server and client has a meter of its own.</summary>
public sealed class MeterNameTests
{
    [Fact]
    public async Task A_listener_by_meter_name_finds_every_server_and_client_each_on_its_own_meter()
    {
        await using var server = await ServerFixture.StartAsync();
        await using var other = await ServerFixture.StartAsync();
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint));
        var published = new ConcurrentBag<Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name is TetherMeterNames.Server or TetherMeterNames.Client)
                {
                    published.Add(instrument);
                }
            },
        };

        // Start reports the instruments that exist already.
        listener.Start();

        Assert.Contains(published, i => ReferenceEquals(i.Meter, server.Server.Metrics.Meter) && i.Name == "tether.connections.accepted");
        Assert.Contains(published, i => ReferenceEquals(i.Meter, other.Server.Metrics.Meter) && i.Name == "tether.connections.accepted");
        Assert.Contains(published, i => ReferenceEquals(i.Meter, client.Metrics.Meter) && i.Name == "tether.client.reconnects");
        Assert.Equal(TetherMeterNames.Server, server.Server.Metrics.Meter.Name);
        Assert.Equal(TetherMeterNames.Client, client.Metrics.Meter.Name);
        Assert.NotSame(server.Server.Metrics.Meter, other.Server.Metrics.Meter);
    }
}
