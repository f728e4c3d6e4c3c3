using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace Tether.Bench.Infra;

/// <summary>
/// The managed heap of a running .NET process, without changing it: an EventPipe session (the diagnostics IPC channel
/// every .NET process opens) with the runtime's GC and GCHeapCollect keywords makes the runtime run one full blocking
/// GC, whose GCHeapStats event gives the size of every generation after it. That is the live managed heap, free of
/// garbage that merely waits for a collection, so two samples compare well.
/// </summary>
internal static class HeapProbe
{
    /// <summary>The managed heap in bytes after an induced full GC, or null with the reason why not.</summary>
    public static async Task<(long? Bytes, string? Error)> MeasureAsync(int pid, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var keywords = (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.GCHeapCollect);
        EventPipeSession session;
        try
        {
            var client = new DiagnosticsClient(pid);
            session = await client.StartEventPipeSessionAsync(
                [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, keywords)],
                requestRundown: false,
                circularBufferMB: 16,
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (null, $"no EventPipe session with pid {pid}: {ex.Message}");
        }

        using (session)
        {
            var result = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var processing = Task.Factory.StartNew(
                () =>
                {
                    using var source = new EventPipeEventSource(session.EventStream);
                    var fullGcRunning = false;
                    source.Clr.GCStart += data => fullGcRunning = data.Depth == 2;
                    source.Clr.GCHeapStats += data =>
                    {
                        if (fullGcRunning)
                        {
                            result.TrySetResult(data.TotalHeapSize);
                        }
                    };
                    source.Process();
                },
                cancellationToken,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);

            var winner = await Task.WhenAny(result.Task, processing, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
            try
            {
                await session.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The process may have ended; the stream then ends by itself.
            }

            try
            {
                await processing.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A truncated stream at stop is expected.
            }

            cancellationToken.ThrowIfCancellationRequested();
            return winner == result.Task || result.Task.IsCompletedSuccessfully
                ? (result.Task.Result, null)
                : (null, $"no full GC reported by pid {pid} within {timeout.TotalSeconds:0} s");
        }
    }
}
