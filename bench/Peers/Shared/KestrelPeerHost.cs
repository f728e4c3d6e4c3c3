using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Tether.Bench.Peers;

/// <summary>What every Kestrel peer does once its listener is configured: start, announce the bound port, run until stopped.</summary>
internal static class KestrelPeerHost
{
    /// <summary>Runs <paramref name="app"/>; returns the process's exit code (1 when it cannot listen).</summary>
    public static async Task<int> RunAsync(WebApplication app, string name, PeerCommandLine commandLine)
    {
        try
        {
            await app.StartAsync();
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"{name}: cannot listen on 127.0.0.1:{commandLine.Port}: {e.Message}");
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
    }
}
