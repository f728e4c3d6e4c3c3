using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Tether.Benchmarks;

/// <summary>
/// <c>--echo-throughput</c>: sessions off against sessions on, without BenchmarkDotNet. Two <see cref="EchoLink"/>s
/// (or <see cref="RawEchoLink"/>s; one connection each, sessions off / on on both sides) stay up for the whole run and take turns, off, on, off, on,
/// ..., for a fixed time each; the figure is the median of each mode and the median of the per-round ratios. On a small
/// shared machine the load from other work drifts by more than the effect being measured, so alternating short runs and
/// taking medians compares like with like far better than two long runs one after the other.
/// </summary>
internal static class EchoThroughput
{
    /// <summary>Messages per <see cref="IEchoLink.RunAsync"/> call; a run repeats batches until its time is up.</summary>
    private const int Batch = 10_000;

    public const string Usage = """
        --echo-throughput [--seconds S] [--rounds R] [--warmup S] [--payload BYTES] [--window N] [--min-ratio X] [--wire-stats] [--only off|on] [--client tether|raw]
          Alternates a busy echo link with sessions off and on (R rounds of S seconds each, after a warm-up of each),
          prints msg/s, CPU and allocations per message for every run, then the medians and the on/off ratio.
          Defaults: --seconds 5 --rounds 5 --warmup 3 --payload 64 --window 512.
          --min-ratio X   exit with code 1 when the median per-round ratio on/off is below X (e.g. 0.9).
          --wire-stats    afterwards, one extra run per mode with a metrics listener: frames, ACKs, bytes and socket
                          calls per message (kept out of the timed runs: the listener costs time itself).
          --only off|on   run one mode only, R rounds (for a profiler: one mode per recording, no ratio).
          --client raw    a bare-socket client instead of TetherClient (RawEchoLink: the server's cost only; 64 B,
                          no window: it writes 64 frames per socket call without waiting for echoes).
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        double seconds = 5, warmup = 3;
        int rounds = 5, payload = 64, window = 512;
        double? minRatio = null;
        var wireStats = false;
        bool? only = null;
        var raw = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seconds":
                    seconds = double.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--warmup":
                    warmup = double.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--rounds":
                    rounds = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--payload":
                    payload = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--window":
                    window = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--min-ratio":
                    minRatio = double.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--wire-stats":
                    wireStats = true;
                    break;
                case "--client":
                    raw = args[++i] switch
                    {
                        "raw" => true,
                        "tether" => false,
                        var other => throw new ArgumentException($"--client takes tether or raw, not {other}"),
                    };
                    break;
                case "--only":
                    only = args[++i] switch
                    {
                        "on" => true,
                        "off" => false,
                        var other => throw new ArgumentException($"--only takes off or on, not {other}"),
                    };
                    break;
                case "--help" or "-h":
                    Console.WriteLine(Usage);
                    return 0;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}");
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }

        if (rounds < 1 || seconds <= 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        if (raw && payload != RawEchoLink.PayloadLength)
        {
            Console.Error.WriteLine($"--client raw sends {RawEchoLink.PayloadLength} B messages only");
            return 2;
        }

        var client = raw ? "bare-socket client, 64 frames per write, no window" : $"TetherClient with a handler, window {window} (refilled at {window / 2})";
        Console.WriteLine($"Echo throughput, sessions off vs on: {payload} B messages, {client}, {rounds} rounds of {seconds:0.#} s per mode, alternating");
        Console.WriteLine($"{Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}, server GC: {System.Runtime.GCSettings.IsServerGC}, load average: {LoadAverage()}");

        var links = new List<IEchoLink>();
        try
        {
            foreach (var sessions in only is { } mode ? [mode] : new[] { false, true })
            {
                links.Add(raw ? await RawEchoLink.StartAsync(sessions) : await EchoLink.StartAsync(sessions, payload, window));
            }

            return await RunRoundsAsync(links, seconds, warmup, rounds, minRatio, wireStats);
        }
        finally
        {
            foreach (var link in links)
            {
                await link.DisposeAsync();
            }
        }
    }

    private static async Task<int> RunRoundsAsync(List<IEchoLink> links, double seconds, double warmup, int rounds, double? minRatio, bool wireStats)
    {
        // Tiered compilation, pool warm-up and buffer growth happen here, not in the first measured run.
        foreach (var link in links)
        {
            await MeasureAsync(link, warmup);
        }

        Console.WriteLine();
        Console.WriteLine("round  sessions      msg/s   CPU µs/msg   cores busy   alloc B/msg   gen0 GCs   lock waits/1k msg   pool items/msg");
        var results = new List<(int Round, bool Sessions, Result Result)>();
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var link in links)
            {
                var result = await MeasureAsync(link, seconds);
                results.Add((round, link.Sessions, result));
                Console.WriteLine($"{round,5}  {(link.Sessions ? "on" : "off"),8}  {result.MessagesPerSecond,9:N0}  {result.CpuMicrosecondsPerMessage,11:0.00}  {result.CoresBusy,11:0.00}  {result.AllocatedBytesPerMessage,12:0.0}  {result.Gen0Collections,9}  {result.LockContentionsPerThousand,18:0.0}  {result.WorkItemsPerMessage,15:0.000}");
            }
        }

        if (links.Count == 1)
        {
            Console.WriteLine($"median msg/s {Median(results.Select(r => r.Result.MessagesPerSecond)):N0}");
            return 0;
        }

        var offRuns = results.Where(r => !r.Sessions).Select(r => r.Result).ToList();
        var onRuns = results.Where(r => r.Sessions).Select(r => r.Result).ToList();
        var ratios = offRuns.Zip(onRuns, (a, b) => b.MessagesPerSecond / a.MessagesPerSecond).ToList();
        var cpuRatios = offRuns.Zip(onRuns, (a, b) => b.CpuMicrosecondsPerMessage / a.CpuMicrosecondsPerMessage).ToList();
        var medianOff = Median(offRuns.Select(r => r.MessagesPerSecond));
        var medianOn = Median(onRuns.Select(r => r.MessagesPerSecond));
        var medianRatio = Median(ratios);
        Console.WriteLine();
        Console.WriteLine($"median msg/s        off {medianOff:N0}   on {medianOn:N0}   ratio of medians on/off {medianOn / medianOff:0.000}");
        Console.WriteLine($"per-round on/off    {string.Join("  ", ratios.Select(r => r.ToString("0.000", CultureInfo.InvariantCulture)))}   median {medianRatio:0.000}   (min {ratios.Min():0.000}, max {ratios.Max():0.000})");
        Console.WriteLine($"median CPU µs/msg   off {Median(offRuns.Select(r => r.CpuMicrosecondsPerMessage)):0.00}   on {Median(onRuns.Select(r => r.CpuMicrosecondsPerMessage)):0.00}   per-round on/off median {Median(cpuRatios):0.000}");
        Console.WriteLine($"median alloc B/msg  off {Median(offRuns.Select(r => r.AllocatedBytesPerMessage)):0.0}   on {Median(onRuns.Select(r => r.AllocatedBytesPerMessage)):0.0}");
        Console.WriteLine($"load average at the end: {LoadAverage()}");

        if (wireStats)
        {
            Console.WriteLine();
            Console.WriteLine("wire statistics (one run per mode with a metrics listener; per echoed message)");
            Console.WriteLine("sessions  side     frames sent   ACK frames   bytes sent   socket sends   socket receives");
            foreach (var link in links)
            {
                var wire = await MeasureWireAsync(link, Math.Min(seconds, 3));
                for (var side = 0; side < wire.Length; side++)
                {
                    var w = wire[side];
                    Console.WriteLine($"{(link.Sessions ? "on" : "off"),8}  {(side == 0 ? "server" : "client"),-6}  {w.Frames,12:0.000}  {w.Acks,11:0.000}  {w.Bytes,11:0.0}  {w.Sends,13:0.000}  {w.Receives,16:0.000}");
                }
            }
        }

        if (minRatio is { } required && medianRatio < required)
        {
            Console.WriteLine($"FAIL: median on/off ratio {medianRatio:0.000} is below {required:0.00}");
            return 1;
        }

        return 0;
    }

    /// <summary>Runs batches on <paramref name="link"/> for <paramref name="seconds"/> and measures them.</summary>
    private static async Task<Result> MeasureAsync(IEchoLink link, double seconds)
    {
        // No forced collection between runs: both modes allocate next to nothing, and a gen2 collection makes the
        // shared array pool trim, which would show up as allocations of the next run.
        var gen0 = GC.CollectionCount(0);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = Environment.CpuUsage.TotalTime;
        var contentions = Monitor.LockContentionCount;
        var workItems = ThreadPool.CompletedWorkItemCount;
        var clock = Stopwatch.StartNew();
        long messages = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            await link.RunAsync(Batch);
            messages += Batch;
        }

        var elapsed = clock.Elapsed;
        var cpuUsed = Environment.CpuUsage.TotalTime - cpu;
        return new Result(
            messages / elapsed.TotalSeconds,
            cpuUsed.TotalMicroseconds / messages,
            cpuUsed / elapsed,
            (double)(GC.GetTotalAllocatedBytes(precise: true) - allocated) / messages,
            GC.CollectionCount(0) - gen0,
            (Monitor.LockContentionCount - contentions) * 1000.0 / messages,
            (double)(ThreadPool.CompletedWorkItemCount - workItems) / messages);
    }

    /// <summary>
    /// One run with a listener on the link's meters, by name: what each side puts on the wire per echoed message. Socket
    /// sends and receives are the number of measurements of the byte counters, which the transport records once per
    /// write to the socket and once per non-empty read.
    /// </summary>
    private static async Task<Wire[]> MeasureWireAsync(IEchoLink link, double seconds)
    {
        var meters = link.MeterNames;
        var totals = meters.Select(_ => new Totals[4] { new(), new(), new(), new() }).ToArray();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            var side = meters.ToList().IndexOf(instrument.Meter.Name);
            var index = instrument.Name switch
            {
                "tether.frames.sent" => 0,
                "tether.session.acks_sent" => 1,
                "tether.bytes.sent" => 2,
                "tether.bytes.received" => 3,
                _ => -1,
            };
            if (side >= 0 && index >= 0)
            {
                l.EnableMeasurementEvents(instrument, totals[side][index]);
            }
        };
        listener.SetMeasurementEventCallback<long>(static (_, value, _, state) => ((Totals)state!).Add(value));
        listener.Start();

        var before = link.Received;
        await MeasureAsync(link, seconds);
        listener.Dispose();
        double messages = link.Received - before;
        return [.. totals.Select(t => new Wire(t[0].Sum / messages, t[1].Sum / messages, t[2].Sum / messages, t[2].Count / messages, t[3].Count / messages))];
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private readonly record struct Result(double MessagesPerSecond, double CpuMicrosecondsPerMessage, double CoresBusy, double AllocatedBytesPerMessage, int Gen0Collections, double LockContentionsPerThousand, double WorkItemsPerMessage);

    private readonly record struct Wire(double Frames, double Acks, double Bytes, double Sends, double Receives);

    /// <summary>A sum and a count of measurements, updated from any thread.</summary>
    private sealed class Totals
    {
        private long _sum;
        private long _count;

        public long Sum => Volatile.Read(ref _sum);

        public long Count => Volatile.Read(ref _count);

        public void Add(long value)
        {
            Interlocked.Add(ref _sum, value);
            Interlocked.Increment(ref _count);
        }
    }
}
