// Kestrel echo peer: ASP.NET Core's Kestrel with a ConnectionHandler and no HTTP; every received byte is written back.
using System.Net;
using Microsoft.AspNetCore.Connections;
using Tether.Bench.Peers;

var commandLine = PeerCommandLine.Parse(args, "KestrelEcho");
if (commandLine is null)
{
    return 2;
}

var builder = WebApplication.CreateBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(kestrel =>
    kestrel.Listen(IPAddress.Loopback, commandLine.Port, listen => listen.UseConnectionHandler<EchoConnectionHandler>()));

await using var app = builder.Build();
return await KestrelPeerHost.RunAsync(app, "KestrelEcho", commandLine);
