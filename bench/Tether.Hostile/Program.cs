using Tether.Hostile.CommandLine;
using Tether.Hostile.Reporting;

namespace Tether.Hostile;

/// <summary>
/// Entry point: runs the hostile mix against a running <c>tether serve --app echo</c> and prints the report (a table,
/// or JSON with <c>--json</c>) on stdout, progress on stderr. Exit code 0 on PASS, 1 on FAIL, 2 on a usage error.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        HostileSettings settings;
        bool json;
        try
        {
            (settings, json) = HostileCommandLine.Parse(args);
        }
        catch (UsageException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 2;
        }

        await Console.Error.WriteLineAsync(Describe(settings)).ConfigureAwait(false);

        using var abort = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            abort.Cancel();
        };

        HostileReport report;
        try
        {
            report = await new HostileMix(settings, line => Console.Error.WriteLine(line)).RunAsync(abort.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("hostile: interrupted").ConfigureAwait(false);
            return 1;
        }

        if (json)
        {
            using var stdout = Console.OpenStandardOutput();
            JsonReportWriter.Write(stdout, report);
            await Console.Out.WriteLineAsync().ConfigureAwait(false);
        }
        else
        {
            TableWriter.Write(Console.Out, report);
        }

        return report.Passed ? 0 : 1;
    }

    private static string Describe(HostileSettings s) => string.Join(
        ' ',
        FormattableString.Invariant($"hostile: {s.Good} good clients, {s.Garbage} garbage, {s.Stallers} stallers, {s.Oversized} oversized, {s.Truncated} truncated,"),
        FormattableString.Invariant($"{s.Churners} churners, {s.Flooders} flooders against {s.Target} for {s.Duration.TotalSeconds:0.###} s;"),
        FormattableString.Invariant($"at most {s.MaxSockets} hostile sockets open at once (the process may open 20,000 files);"),
        FormattableString.Invariant($"stallers expect the server's handshake timeout of {s.HandshakeTimeout.TotalSeconds:0.###} s"),
        "(for short runs start tether serve with --handshake-timeout 2s and pass --handshake-timeout 2s here)");
}
