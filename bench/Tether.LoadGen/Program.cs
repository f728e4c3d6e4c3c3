using System.Globalization;

namespace Tether.LoadGen;

/// <summary>Entry point: <c>Tether.LoadGen &lt;mode&gt; --target HOST:PORT --protocol P [options]</c> (bench/CONTRACT.md).</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        LoadGenOptions options;
        try
        {
            options = LoadGenOptions.Parse(args);
        }
        catch (UsageException ex)
        {
            Output.Error(ex.Message);
            return ExitCode.Usage;
        }

        if (options.Mode != Mode.Storm && Environment.GetEnvironmentVariable(InlineCompletions) is null)
        {
            // The lean connections never block in their receive continuations (sends are non-blocking), so they can run
            // on the socket engine's thread instead of hopping to the thread pool: fewer context switches on a machine
            // whose cores are shared with the server under test. Read once, when the first socket is made.
            Environment.SetEnvironmentVariable(InlineCompletions, "1");
        }

        using var stop = new StopSignal();
        try
        {
            var code = options.Mode switch
            {
                Mode.Idle => await IdleMode.RunAsync(options, stop).ConfigureAwait(false),
                Mode.Echo => await EchoMode.RunAsync(options, stop).ConfigureAwait(false),
                Mode.Fanout => await FanoutMode.RunAsync(options, stop).ConfigureAwait(false),
                Mode.Storm => await StormMode.RunAsync(options, stop).ConfigureAwait(false),
                _ => await ChurnMode.RunAsync(options, stop).ConfigureAwait(false),
            };
            if (stop.Reason is { } reason)
            {
                Output.Status($"{options.ModeName}: stopped early ({reason})");
            }

            return code;
        }
        catch (UsageException ex)
        {
            Output.Error(ex.Message);
            return ExitCode.Usage;
        }
        catch (Exception ex)
        {
            Output.Error(string.Create(CultureInfo.InvariantCulture, $"{options.ModeName} failed: {ex.GetType().Name}: {ex.Message}"));
            return ExitCode.Failed;
        }
    }

    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
}

/// <summary>Process exit codes.</summary>
internal static class ExitCode
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    /// <summary>Failed (with the one-line error) when not a single connection could be opened, else success.</summary>
    public static int ForConnections(LoadGenOptions options, long connected)
    {
        if (connected > 0)
        {
            return Success;
        }

        Output.Error($"{options.ModeName}: no connection to {options.Target} could be opened");
        return Failed;
    }
}
