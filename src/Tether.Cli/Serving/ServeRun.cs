using Microsoft.Extensions.Logging;
using Tether.Cli.Commands;
using Tether.Cli.Hosting;
using Tether.Cli.Parsing;
using Tether.Server;

namespace Tether.Cli.Serving;

/// <summary>
/// What <c>tether serve</c> does once its options are settled: start the server, announce it (and write the port file),
/// wait for a stop signal, drain, and say so on stderr.
/// </summary>
internal static class ServeRun
{
    public static async Task<int> RunAsync(TetherServerOptions options, ServeApp app, string? portFile, LogLevel logLevel, bool jsonLog, bool stopOnStdinEnd = false)
    {
        using var signal = new ShutdownSignal();
        if (stopOnStdinEnd)
        {
            StdinWatch.Start(signal);
        }

        var failedToStart = false;
        using var loggerFactory = ServerLogging.Create(logLevel, jsonLog, () => Volatile.Read(ref failedToStart));
        var server = CreateServer(options, app, loggerFactory);
        var wrotePortFile = false;
        await using (server.ConfigureAwait(false))
        {
            try
            {
                await server.StartAsync().ConfigureAwait(false);
            }
            catch
            {
                // The disposal below would log "Stopping: GOAWAY sent to 0 connections ... Stopped" before the error.
                Volatile.Write(ref failedToStart, true);
                throw;
            }

            try
            {
                if (portFile is not null)
                {
                    PortFile.Write(portFile, server.LocalEndPoints);
                    wrotePortFile = true;
                }

                var cluster = string.Empty;
                if (options.ScaleOut is { } scaleOut)
                {
                    var redis = RedisConfiguration.DescribeEndPoints(scaleOut.Redis);
                    ServeLog.ClusterNode(loggerFactory.CreateLogger(ServeLog.Category), scaleOut.NodeName!, redis, scaleOut.KeyPrefix);
                    cluster = $", cluster node {scaleOut.NodeName} on Redis {redis}";
                }

                await Console.Error.WriteLineAsync(
                    $"tether: listening on {ServeCommand.DescribeListeners(server.LocalEndPoints, options.Listeners)} as {options.ServerId}{cluster} (Ctrl-C to stop)").ConfigureAwait(false);
                await signal.WhenStopping().ConfigureAwait(false);

                await Console.Error.WriteLineAsync(
                    $"tether: stopping: {server.Connections.Count} connection(s), draining for up to {DurationParser.Format(options.ShutdownDrainTimeout)} (Ctrl-C again to end the drain)").ConfigureAwait(false);
                await StopAsync(server, signal.Aborting).ConfigureAwait(false);
                await Console.Error.WriteLineAsync("tether: stopped").ConfigureAwait(false);
            }
            finally
            {
                if (wrotePortFile)
                {
                    PortFile.Delete(portFile!);
                }
            }
        }

        return ExitCodes.Success;
    }

    private static TetherServer CreateServer(TetherServerOptions options, ServeApp app, ILoggerFactory loggerFactory)
    {
        if (app == ServeApp.Broadcast)
        {
            return new TetherServer(options, new BroadcastHandler(loggerFactory.CreateLogger<BroadcastHandler>()), loggerFactory);
        }

        return new TetherServer(options, new EchoHandler(loggerFactory.CreateLogger<EchoHandler>()), loggerFactory);
    }

    private static async Task StopAsync(TetherServer server, CancellationToken abort)
    {
        try
        {
            await server.StopAsync(abort).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Some peer ignored CLOSE past the linger time. Cut it off here: disposing a server that is still waiting
            // for connections to close would wait for them again.
            foreach (var connection in server.Connections)
            {
                connection.Abort();
            }
        }
    }
}
