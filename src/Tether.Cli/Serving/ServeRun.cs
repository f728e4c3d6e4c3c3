using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tether.Admin;
using Tether.Cli.Commands;
using Tether.Cli.Hosting;
using Tether.Cli.Parsing;
using Tether.Server;

namespace Tether.Cli.Serving;

/// <summary>
/// What <c>tether serve</c> does once its settings are settled: build the host (<see cref="ServeComposition"/>), start
/// it, announce the server (and write the port file), wait for a stop signal, stop the host (the server drains), and
/// say so on stderr.
/// </summary>
internal static class ServeRun
{
    public static async Task<int> RunAsync(ServeSettings settings)
    {
        using var signal = new ShutdownSignal();
        if (settings.StopOnStdinEnd)
        {
            StdinWatch.Start(signal);
        }

        var failedToStart = false;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        ServerLogging.Configure(builder.Logging, settings.LogLevel, settings.JsonLog, () => Volatile.Read(ref failedToStart));
        builder.Configuration.AddInMemoryCollection(ServeComposition.PartSettings(settings.Configuration));
        ServeComposition.AddServices(builder.Services, settings);
        var host = builder.Build();
        var wrotePortFile = false;
        await using ((IAsyncDisposable)host)
        {
            try
            {
                await host.StartAsync().ConfigureAwait(false);
            }
            catch
            {
                // The disposal below would log "Stopping: GOAWAY sent to 0 connections ... Stopped" before the error.
                Volatile.Write(ref failedToStart, true);
                throw;
            }

            var server = host.Services.GetRequiredService<TetherServer>();
            var options = settings.Options;
            try
            {
                if (settings.PortFile is { } portFile)
                {
                    PortFile.Write(portFile, server.LocalEndPoints);
                    wrotePortFile = true;
                }

                var cluster = string.Empty;
                if (options.ScaleOut is { } scaleOut)
                {
                    var redis = RedisConfiguration.DescribeEndPoints(scaleOut.Redis);
                    var loggerFactory = host.Services.GetRequiredService<ILoggerFactory>();
                    ServeLog.ClusterNode(loggerFactory.CreateLogger(ServeLog.Category), scaleOut.NodeName!, redis, scaleOut.KeyPrefix);
                    cluster = $", cluster node {scaleOut.NodeName} on Redis {redis}";
                }

                await Console.Error.WriteLineAsync(
                    $"tether: listening on {ServeCommand.DescribeListeners(server.LocalEndPoints, options.Listeners)} as {options.ServerId}{cluster} (Ctrl-C to stop)").ConfigureAwait(false);
                if (settings.Parse.GetValue<string>("--admin") is not null)
                {
                    await AnnounceAdminAsync(host.Services).ConfigureAwait(false);
                }

                await signal.WhenStopping().ConfigureAwait(false);

                await Console.Error.WriteLineAsync(
                    $"tether: stopping: {server.Connections.Count} connection(s), draining for up to {DurationParser.Format(options.ShutdownDrainTimeout)} (Ctrl-C again to end the drain)").ConfigureAwait(false);
                // The server's hosted service drains (GOAWAY, then close); a second signal cancels the drain.
                await host.StopAsync(signal.Aborting).ConfigureAwait(false);
                await Console.Error.WriteLineAsync("tether: stopped").ConfigureAwait(false);
            }
            finally
            {
                if (wrotePortFile)
                {
                    PortFile.Delete(settings.PortFile!);
                }
            }
        }

        return ExitCodes.Success;
    }

    // A method of its own: a server without --admin never loads the admin assembly.
    private static async Task AnnounceAdminAsync(IServiceProvider services)
    {
        var admin = services.GetRequiredService<TetherAdmin>();
        var key = admin.ApiKeyGenerated ? $"API key (made up at start): {admin.ApiKey}" : "API key from --api-key-file";
        await Console.Error.WriteLineAsync($"tether: admin on {admin.BaseAddress} (API, /metrics, /health, dashboard; {key})").ConfigureAwait(false);
    }
}
