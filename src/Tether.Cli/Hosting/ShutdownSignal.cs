using System.Runtime.InteropServices;

namespace Tether.Cli.Hosting;

/// <summary>
/// Ctrl-C and SIGTERM in two stages: the first asks for a graceful stop (<see cref="Stopping"/>), the second cuts the
/// graceful part short (<see cref="Aborting"/>). Neither kills the process: the command decides how to end.
/// </summary>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _aborting = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _signals;

    public ShutdownSignal()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    public CancellationToken Stopping => _stopping.Token;

    public CancellationToken Aborting => _aborting.Token;

    /// <summary>Completes at the first signal; never faults.</summary>
    public Task WhenStopping() => Task.Delay(Timeout.Infinite, Stopping).ContinueWith(static _ => { }, TaskScheduler.Default);

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _stopping.Dispose();
        _aborting.Dispose();
    }

    /// <summary>Counts as a signal (the first asks for a graceful stop), for stops that come another way, e.g. stdin's end.</summary>
    public void Request() => OnSignal();

    private void OnSignal(PosixSignalContext context)
    {
        // Cancel = keep the process alive; the runtime would otherwise terminate it right after this handler.
        context.Cancel = true;
        OnSignal();
    }

    private void OnSignal()
    {
        var source = Interlocked.Increment(ref _signals) == 1 ? _stopping : _aborting;
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // A signal that races with the end of the command has nothing left to stop.
        }
    }
}
