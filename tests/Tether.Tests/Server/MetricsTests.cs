using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Tether.Client;
using Tether.Tests.Support;

namespace Tether.Tests.Server;

public sealed class MetricsTests
{
    [Fact]
    public async Task Connection_lifecycle_is_counted_with_reasons()
    {
        await using var server = await ServerFixture.StartAsync();
        var measurements = new ConcurrentQueue<(string Name, long Value, string? Reason)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, server.Server.Metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? reason = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "reason")
                {
                    reason = tag.Value as string;
                }
            }

            measurements.Enqueue((instrument.Name, value, reason));
        });
        listener.Start();

        await using (var client = new TetherClient(ClientFactory.Options(server.EndPoint)))
        {
            await client.ConnectAsync();
            await server.Handler.NextConnectedAsync();
            await client.SendAsync("x"u8.ToArray());
            await server.Handler.NextMessageAsync();
        }

        await server.Handler.NextDisconnectedAsync();

        Assert.Contains(measurements, m => m.Name == "tether.connections.accepted" && m.Value == 1);
        Assert.Contains(measurements, m => m.Name == "tether.connections.closed" && m.Reason == "closed-by-peer");
        Assert.Equal(0, measurements.Where(m => m.Name == "tether.connections.active").Sum(m => m.Value));
        Assert.Contains(measurements, m => m.Name == "tether.bytes.received" && m.Value > 0);
        Assert.Contains(measurements, m => m.Name == "tether.bytes.sent" && m.Value > 0);
        Assert.Contains(measurements, m => m.Name == "tether.frames.sent" && m.Value > 0);
        Assert.Contains(measurements, m => m.Name == "tether.messages.received" && m.Value == 1);
        Assert.Contains(measurements, m => m.Name == "tether.messages.sent" && m.Value == 1);
    }
}
