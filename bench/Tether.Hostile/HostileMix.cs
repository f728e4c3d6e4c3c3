using System.Diagnostics;
using Tether.Hostile.Good;
using Tether.Hostile.Kinds;
using Tether.Hostile.Monitoring;
using Tether.Hostile.Reporting;
using Tether.Hostile.Wire;

namespace Tether.Hostile;

/// <summary>
/// One run of the hostile mix: connects the good clients, takes the server's memory baseline, launches every kind of
/// hostile peer spread over the launch window while the good clients keep exchanging messages, waits for every peer
/// to end, drains the good clients' echoes, and judges what happened.
/// </summary>
internal sealed class HostileMix(HostileSettings settings, Action<string>? progress = null)
{
    /// <summary>Good traffic before the baseline, so that it includes the good clients' steady state.</summary>
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan GoodConnectTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan EchoDrain = TimeSpan.FromSeconds(10);

    public async Task<HostileReport> RunAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await using var rss = new RssSampler(settings.ServerPid);
        await using var good = new GoodFleet(settings);
        using var budget = new SocketBudget(settings.MaxSockets);
        var tallies = PeerKinds.All.Select(k => new KindTally(k, k.Count(settings))).ToArray();

        var connectError = await ConnectGoodAsync(good, cancellationToken).ConfigureAwait(false);
        if (connectError is null)
        {
            good.StartSending(cancellationToken);
            await Task.Delay(Warmup, cancellationToken).ConfigureAwait(false);
            rss.MarkBaseline();

            using var stopProgress = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var windowEnd = Stopwatch.GetTimestamp() + (long)(settings.LaunchWindow.TotalSeconds * Stopwatch.Frequency);
            var contexts = tallies.Select((_, i) => new PeerContext(settings, budget, i, windowEnd)).ToArray();
            var reporting = ReportProgressAsync(started, tallies, contexts, good, rss, budget, stopProgress.Token);
            await Task.WhenAll(tallies.Select((t, i) => LaunchAsync(t, contexts[i], cancellationToken))).ConfigureAwait(false);
            await good.StopSendingAsync(EchoDrain, cancellationToken).ConfigureAwait(false);
            await stopProgress.CancelAsync().ConfigureAwait(false);
            await reporting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        var rssFigures = rss.Finish(settings.RssGrowth, settings.RssFloorBytes);
        var serverAlive = rss.ServerAlive;
        if (connectError is null)
        {
            await good.CloseAsync(cancellationToken).ConfigureAwait(false);
        }

        var summary = new GoodSummary(good.Count, good.Counts, good.Disconnects, good.SessionsLost, [.. good.DisconnectReasons], connectError);
        var rows = tallies.Select(t => t.Snapshot()).ToArray();
        var failures = Verdict.Judge(settings, rows, summary, rssFigures, serverAlive);
        return new HostileReport(settings, rows, summary, rssFigures, serverAlive, Stopwatch.GetElapsedTime(started), failures);
    }

    private static async Task<string?> ConnectGoodAsync(GoodFleet good, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(GoodConnectTimeout);
        try
        {
            await good.ConnectAsync(deadline.Token).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is OperationCanceledException or TetherException && !cancellationToken.IsCancellationRequested)
        {
            return ex.Message;
        }
    }

    /// <summary>
    /// Starts a kind's peers: continuous ones all at once, the others one at a time at evenly spaced moments of the
    /// launch window (the pacing is the point, so this waits on the clock), then waits for all of them.
    /// </summary>
    private static async Task LaunchAsync(KindTally tally, PeerContext context, CancellationToken cancellationToken)
    {
        var peers = new List<Task>(tally.Peers);
        var start = Stopwatch.GetTimestamp();
        var window = tally.Kind.Continuous ? TimeSpan.Zero : context.Settings.LaunchWindow;
        for (var i = 0; i < tally.Peers; i++)
        {
            var due = window * i / tally.Peers - Stopwatch.GetElapsedTime(start);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, cancellationToken).ConfigureAwait(false);
            }

            tally.Launch();
            peers.Add(RunPeerAsync(tally, context, i, cancellationToken));
        }

        await Task.WhenAll(peers).ConfigureAwait(false);
    }

    private static async Task RunPeerAsync(KindTally tally, PeerContext context, int index, CancellationToken cancellationToken)
    {
        // Yield first: the launcher must keep its pace even when a peer's first steps complete synchronously.
        await Task.Yield();
        PeerResult result;
        try
        {
            result = await tally.Kind.Run(context, index, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A peer's own failure is a finding about the mix, not a reason to stop the run: it is reported as a sample.
            result = new PeerResult(new Wire.CloseObservation(PeerEnd.NoClose, null, TimeSpan.Zero, $"peer failed: {ex.GetType().Name}: {ex.Message}"), CloseCodes.None);
        }

        tally.Record(index, result);
    }

    private async Task ReportProgressAsync(long started, KindTally[] tallies, PeerContext[] contexts, GoodFleet good, RssSampler rss, SocketBudget budget, CancellationToken cancellationToken)
    {
        if (progress is null)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            progress(ProgressLine.Format(Stopwatch.GetElapsedTime(started), tallies.Zip(contexts), good, rss.Last, budget.Open));
        }
    }
}
