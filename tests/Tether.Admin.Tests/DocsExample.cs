// The metrics and health example of docs/operations.md ("Metrics"), kept here so that it compiles: change both
// together.
using System.Buffers;
using Microsoft.AspNetCore.Builder;
using Tether.Hosting;
using Tether.Server;

namespace Tether.Admin.Tests;

public sealed class EchoHandler : TetherServerHandler
{
    public override async ValueTask OnMessageAsync(TetherConnection connection, ReadOnlySequence<byte> message) =>
        await connection.SendAsync(message.ToArray());
}

public static class DocsExample
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Services.AddTetherTelemetry(builder.Configuration);   // before the server starts: the gauges count from here
        builder.Services.AddTetherServer<EchoHandler>();
        var app = builder.Build();
        app.MapTetherMetrics();                                       // GET /metrics (protect it: it is not anonymous in the admin listener)
        app.MapTetherHealth();                                        // GET /health/live, /health/ready
        return app;
    }

    // await DocsExample.Build(args).RunAsync();
}
