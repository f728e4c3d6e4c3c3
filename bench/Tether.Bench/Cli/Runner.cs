using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Tether.Bench.Infra;
using Tether.Bench.Reporting;

namespace Tether.Bench.Cli;

/// <summary>What every scenario command shares: checks, the work folder, signals, progress, and the report at the end.</summary>
internal static class Runner
{
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;
    public const int ExitInterrupted = 130;

    /// <summary>
    /// Runs one scenario: checks the builds it needs, makes a work folder, runs it with a progress display and
    /// cancellation on Ctrl-C/SIGTERM, then prints the tables and (with --json) the JSON line. Children never outlive this.
    /// </summary>
    public static async Task<int> RunAsync(string scenario, bool json, bool quick, bool keepWork, IEnumerable<Binary> needed,
        Func<BenchContext, Task<Report>> run)
    {
        var root = Binaries.FindRoot();
        foreach (var warning in Binaries.Check(root, needed))
        {
            await Console.Error.WriteLineAsync($"tether-bench: warning: {warning}").ConfigureAwait(false);
        }

        var workDirectory = Path.Combine(Path.GetTempPath(), $"tether-bench-{scenario}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{Environment.ProcessId}");
        Directory.CreateDirectory(workDirectory);

        using var cancellation = new CancellationTokenSource();
        var interrupts = 0;
        void Interrupt()
        {
            if (Interlocked.Increment(ref interrupts) == 1)
            {
                Console.Error.WriteLine("\ntether-bench: stopping (children are being ended; press Ctrl-C again to end at once)");
                cancellation.Cancel();
            }
            else
            {
                ChildProcess.KillAll();
                Environment.Exit(ExitInterrupted);
            }
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            Interrupt();
        });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Interrupt();
        });
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            Interrupt();
        });
        AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcess.KillAll();
        AppDomain.CurrentDomain.UnhandledException += (_, _) => ChildProcess.KillAll();

        var started = Stopwatch.GetTimestamp();
        var machine = MachineInfo.Collect(root);
        using var progress = new ProgressDisplay(Console.Error);
        var context = new BenchContext(root, workDirectory, progress, quick, cancellation.Token);
        Report report;
        try
        {
            report = await run(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            ChildProcess.KillAll();
            progress.Dispose();
            await Console.Error.WriteLineAsync($"tether-bench: interrupted; logs in {workDirectory}").ConfigureAwait(false);
            return ExitInterrupted;
        }
        catch (BenchException ex)
        {
            ChildProcess.KillAll();
            progress.Dispose();
            await Console.Error.WriteLineAsync($"tether-bench: {ex.Message}\ntether-bench: logs of every process are in {workDirectory}").ConfigureAwait(false);
            return ExitFailure;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ChildProcess.KillAll();
            progress.Dispose();
            await Console.Error.WriteLineAsync($"tether-bench: unexpected error: {ex}\ntether-bench: logs of every process are in {workDirectory}").ConfigureAwait(false);
            return ExitFailure;
        }
        finally
        {
            ChildProcess.KillAll();
        }

        progress.Dispose();
        var notes = context.Notes;
        ReportWriter.WriteTables(report, machine, notes, json ? Console.Error : Console.Out, json ? Console.IsErrorRedirected : Console.IsOutputRedirected);
        if (json)
        {
            await Console.Out.WriteLineAsync(ReportWriter.ToJson(report, machine, notes, context.CommandsJson(), workDirectory,
                Stopwatch.GetElapsedTime(started).TotalSeconds)).ConfigureAwait(false);
        }

        if (keepWork)
        {
            await Console.Error.WriteLineAsync($"tether-bench: logs and configuration are in {workDirectory}").ConfigureAwait(false);
        }
        else
        {
            TryDelete(workDirectory);
        }

        return report.ExitCode;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
