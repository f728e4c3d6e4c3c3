using System.Buffers;
using System.Diagnostics;
using System.Text.Json;

namespace Tether.LoadGen;

/// <summary>
/// stdout carries JSON lines only (one object per line, each with an <c>event</c> field); stderr carries human progress
/// (periodic lines at most once per second, plus one line per change of phase) and the one-line error of a failed run.
/// </summary>
internal static class Output
{
    private static readonly Lock WriteLock = new();
    private static readonly Stream StdOut = Console.OpenStandardOutput();
    private static long _lastProgress = long.MinValue;

    /// <summary>Writes one JSON object line: <paramref name="fill"/> adds the fields after <c>event</c>.</summary>
    public static void Event(string name, Action<Utf8JsonWriter> fill)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, SkipValidation = false }))
        {
            json.WriteStartObject();
            json.WriteString("event", name);
            fill(json);
            json.WriteEndObject();
        }

        lock (WriteLock)
        {
            StdOut.Write(buffer.WrittenSpan);
            StdOut.WriteByte((byte)'\n');
            StdOut.Flush();
        }
    }

    /// <summary>The <c>ready</c> event of idle, fanout and storm.</summary>
    public static void Ready(long connected, long failed) => Event("ready", json =>
    {
        json.WriteNumber("connected", connected);
        json.WriteNumber("failed", failed);
    });

    /// <summary>Writes a progress line on stderr unless one was written less than a second ago.</summary>
    public static void Progress(string line)
    {
        var now = Stopwatch.GetTimestamp();
        var last = Volatile.Read(ref _lastProgress);
        if (last != long.MinValue && now - last < Stopwatch.Frequency)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _lastProgress, now, last) == last)
        {
            Console.Error.WriteLine(line);
        }
    }

    /// <summary>
    /// A line at a change of phase (connected, stopping, summary): always written, and the periodic progress lines then
    /// wait a second after it.
    /// </summary>
    public static void Status(string line)
    {
        Volatile.Write(ref _lastProgress, Stopwatch.GetTimestamp());
        Console.Error.WriteLine(line);
    }

    /// <summary>The one-line error of a failed run.</summary>
    public static void Error(string message) => Console.Error.WriteLine("Tether.LoadGen: " + message);

    /// <summary>Writes <c>"name":{"reason":count,...}</c>.</summary>
    public static void WriteCounts(this Utf8JsonWriter json, string name, IEnumerable<KeyValuePair<string, long>> counts)
    {
        json.WriteStartObject(name);
        foreach (var (key, value) in counts.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            json.WriteNumber(key, value);
        }

        json.WriteEndObject();
    }

    /// <summary>Writes p50Ms, p99Ms, p999Ms and maxMs of <paramref name="histogram"/>.</summary>
    public static void WritePercentiles(this Utf8JsonWriter json, LatencyHistogram histogram, string prefix = "")
    {
        json.WriteNumber(prefix + (prefix.Length == 0 ? "p50Ms" : "P50Ms"), Round(histogram.PercentileMs(50)));
        json.WriteNumber(prefix + (prefix.Length == 0 ? "p99Ms" : "P99Ms"), Round(histogram.PercentileMs(99)));
        json.WriteNumber(prefix + (prefix.Length == 0 ? "p999Ms" : "P999Ms"), Round(histogram.PercentileMs(99.9)));
        json.WriteNumber(prefix + (prefix.Length == 0 ? "maxMs" : "MaxMs"), Round(histogram.MaxMs));
    }

    /// <summary>Milliseconds to microsecond precision, which keeps the JSON short.</summary>
    public static double Round(double ms) => Math.Round(ms, 3);
}
