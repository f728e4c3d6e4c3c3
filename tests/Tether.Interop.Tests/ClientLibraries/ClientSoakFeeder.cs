namespace Tether.Interop.Tests.ClientLibraries;

/// <summary>
/// Writes the numbered soak lines to a client's stdin at a steady pace, whatever state its connection is in, until
/// stopped: lines typed during an outage must wait in the client's session and arrive after the resume.
/// </summary>
internal sealed class ClientSoakFeeder : IAsyncDisposable
{
    private readonly StreamWriter _stdin;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private int _written;

    private ClientSoakFeeder(StreamWriter stdin, TimeSpan interval)
    {
        _stdin = stdin;
        _run = Task.Run(() => RunAsync(interval));
    }

    /// <summary>How many lines have been written so far; the last one is <see cref="ClientSoakLines.Text"/>(Written).</summary>
    public int Written => Volatile.Read(ref _written);

    public static ClientSoakFeeder Start(StreamWriter stdin, TimeSpan interval) => new(stdin, interval);

    /// <summary>Stops writing (stdin stays open); throws if a write failed, e.g. because the client had exited.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _run;
    }

    /// <summary>Stops writing on a failed run, where the test's own failure matters and a failed write does not.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _run;
        }
        catch (IOException)
        {
        }

        _stop.Dispose();
    }

    private async Task RunAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var next = _written + 1;
                await _stdin.WriteLineAsync(ClientSoakLines.Text(next));
                Volatile.Write(ref _written, next);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }
}
