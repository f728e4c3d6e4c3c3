using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Tether.Bench.Infra;

namespace Tether.Bench.Scenarios;

/// <summary>Bounded waits that keep the progress display alive and fail early when a process dies.</summary>
internal static class Waits
{
    /// <summary>Waits <paramref name="duration"/>, showing a countdown (and <paramref name="detail"/>), failing if the server dies.</summary>
    public static async Task DelayAsync(BenchContext context, TimeSpan duration, string what, RunningServer? server = null, Func<string>? detail = null)
    {
        var start = Stopwatch.GetTimestamp();
        while (true)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            server?.EnsureRunning();
            var left = duration - Stopwatch.GetElapsedTime(start);
            if (left <= TimeSpan.Zero)
            {
                return;
            }

            var extra = detail?.Invoke();
            context.Progress.Status($"{what}, {Math.Ceiling(left.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s left{(string.IsNullOrEmpty(extra) ? "" : ", " + extra)}");
            await Task.Delay(left < TimeSpan.FromMilliseconds(250) ? left : TimeSpan.FromMilliseconds(250), context.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits until every load generator has said <c>ready</c>, showing connections so far; returns the ready events.
    /// Fails if a load generator or the server ends, or after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<JsonObject[]> ReadyAsync(BenchContext context, IReadOnlyList<LoadGenProcess> loadGens, int expected, TimeSpan timeout,
        RunningServer? server)
    {
        var start = Stopwatch.GetTimestamp();
        var all = Task.WhenAll(loadGens.Select(l => l.Ready));
        while (!all.IsCompleted)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            server?.EnsureRunning();
            if (Stopwatch.GetElapsedTime(start) > timeout)
            {
                var waiting = loadGens.Where(l => !l.Ready.IsCompleted).Select(l => l.Label);
                throw new BenchException($"not all connections were up within {timeout.TotalSeconds:0} s (still waiting for {string.Join(", ", waiting)})");
            }

            // The server's side: its open files beyond those it had at start, one per accepted connection.
            var accepted = server?.OpenConnections ?? 0;
            context.Progress.Status($"server holds {accepted.ToString("N0", CultureInfo.InvariantCulture)}/{expected.ToString("N0", CultureInfo.InvariantCulture)}"
                + $", {loadGens.Count(l => l.Ready.IsCompleted)}/{loadGens.Count} load generators ready"
                + (loadGens.Select(l => l.Process.LastStderrLine).LastOrDefault(l => l is not null) is { } line ? $"; {line}" : ""));
            await Task.WhenAny(all, Task.Delay(500, context.CancellationToken)).ConfigureAwait(false);
        }

        return await all.ConfigureAwait(false);
    }

    /// <summary>Stops every load generator (stdin closed) and collects the results, in order.</summary>
    public static async Task<JsonObject[]> StopAllAsync(BenchContext context, IReadOnlyList<LoadGenProcess> loadGens, TimeSpan timeout)
    {
        context.Progress.Status("stopping the load generators");
        return await Task.WhenAll(loadGens.Select(l => l.StopAsync(timeout))).ConfigureAwait(false);
    }

    /// <summary>Waits for every result (the load generators end by themselves), up to <paramref name="timeout"/>, then stops them.</summary>
    public static async Task<JsonObject[]> ResultsAsync(BenchContext context, IReadOnlyList<LoadGenProcess> loadGens, TimeSpan timeout,
        RunningServer? server, Func<string>? detail = null)
    {
        var start = Stopwatch.GetTimestamp();
        var all = Task.WhenAll(loadGens.Select(l => l.Result));
        while (!all.IsCompleted && Stopwatch.GetElapsedTime(start) < timeout)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            server?.EnsureRunning();
            var extra = detail?.Invoke();
            if (extra is not null)
            {
                context.Progress.Status(extra);
            }

            await Task.WhenAny(all, Task.Delay(250, context.CancellationToken)).ConfigureAwait(false);
        }

        return all.IsCompleted ? await all.ConfigureAwait(false) : await StopAllAsync(context, loadGens, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
    }

    /// <summary>Disposes every load generator (killing any still running).</summary>
    public static async Task DisposeAllAsync(IEnumerable<LoadGenProcess> loadGens)
    {
        foreach (var loadGen in loadGens)
        {
            await loadGen.DisposeAsync().ConfigureAwait(false);
        }
    }
}
