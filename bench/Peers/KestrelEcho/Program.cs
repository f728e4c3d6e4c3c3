// Kestrel echo peer: ASP.NET Core's Kestrel with a ConnectionHandler and no HTTP; every received byte is written back.
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
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
try
{
    await app.StartAsync();
}
catch (IOException e)
{
    Console.Error.WriteLine($"KestrelEcho: cannot listen on 127.0.0.1:{commandLine.Port}: {e.Message}");
    return 1;
}

// Kestrel reports the port it was given for port 0 through the server's addresses feature.
var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
commandLine.AnnounceListening(new Uri(address).Port);
try
{
    // The host's console lifetime ends the wait on SIGTERM or Ctrl-C.
    await app.WaitForShutdownAsync();
}
finally
{
    commandLine.Retract();
}

return 0;
