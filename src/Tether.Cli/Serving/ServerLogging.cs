using Microsoft.Extensions.Logging;

namespace Tether.Cli.Serving;

/// <summary>The console logger of <c>tether serve</c>: one line per event with a UTC timestamp, or JSON lines.</summary>
internal static class ServerLogging
{
    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";

    /// <summary>
    /// Sets up the host's logging as the console logger; nothing is logged once <paramref name="muted"/> returns true
    /// (checked at each log call), so that a server that failed to start does not log its own disposal before the
    /// command prints the one error line. The host's own lines are left out: the command says on stderr when it
    /// listens and stops, and prints a failure to start as its one error line.
    /// </summary>
    public static void Configure(ILoggingBuilder builder, LogLevel level, bool json, Func<bool>? muted = null)
    {
        builder.ClearProviders();
        builder.SetMinimumLevel(level);
        builder.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.AddFilter("Microsoft.Hosting", LogLevel.None);

        // The admin listener's web stack logs each request at info; its own log (Tether.Admin) says what matters.
        builder.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        if (muted is not null)
        {
            builder.AddFilter((_, _, logLevel) => logLevel >= level && !muted());
        }

        if (json)
        {
            builder.AddJsonConsole(options =>
            {
                options.UseUtcTimestamp = true;
                options.TimestampFormat = TimestampFormat.TrimEnd();
            });
        }
        else
        {
            builder.AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.UseUtcTimestamp = true;
                options.TimestampFormat = TimestampFormat;
            });
        }
    }
}
