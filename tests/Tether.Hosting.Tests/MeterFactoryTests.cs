using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tether.Server;

namespace Tether.Hosting.Tests;

public sealed class MeterFactoryTests
{
    [Fact]
    public async Task The_server_instruments_come_from_the_hosts_meter_factory()
    {
        var builder = TestHosts.Builder(("Tether:Server:EndPoints:0", "127.0.0.1:0"));
        builder.Services.AddTetherServer<RecordingHandler>();
        using var host = builder.Build();
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        var fromFactory = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    lock (fromFactory)
                    {
                        fromFactory.Add(instrument.Name);
                    }
                }
            },
        };
        listener.Start();

        await host.StartAsync();

        Assert.Same(factory, host.Services.GetRequiredService<IOptions<TetherServerOptions>>().Value.MeterFactory);
        lock (fromFactory)
        {
            Assert.Contains("tether.connections.active", fromFactory);
        }

        await host.StopAsync();
    }
}
