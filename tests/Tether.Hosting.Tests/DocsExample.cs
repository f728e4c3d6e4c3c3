// The library example of docs/operations.md ("Configuration and hosting"), kept here so that it compiles: change both
// together.
using System.Buffers;
using Microsoft.Extensions.Hosting;
using Tether.Server;

namespace Tether.Hosting.Tests;

public sealed class MyHandler : TetherServerHandler
{
    public override async ValueTask OnMessageAsync(TetherConnection connection, ReadOnlySequence<byte> message) =>
        await connection.SendAsync(message.ToArray()); // echo
}

public static class DocsExample
{
    public static IHost Build(string[] args)
    {
        // appsettings.json, Tether__Server__... environment variables and --Tether:Server:...=... arguments.
        var builder = Host.CreateApplicationBuilder(args);
        builder.Services.AddTetherServer<MyHandler>(options =>
        {
            // What configuration cannot say: listeners with a plain framing, TLS, an authenticator.
            options.Listen(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0), new Tether.Framing.LineFraming());
        });
        return builder.Build();
    }

    // await DocsExample.Build(args).RunAsync();  // listens; Ctrl-C / SIGTERM drains (GOAWAY, then close)
}
