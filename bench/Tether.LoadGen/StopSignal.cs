using System.Runtime.InteropServices;

namespace Tether.LoadGen;

/// <summary>
/// Ends the run early on SIGTERM, SIGINT or end of stdin. stdin is watched only when it is a pipe, a FIFO, a socket or
/// a terminal: a load generator started with stdin on /dev/null or on a file would otherwise stop at once.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<PosixSignalRegistration> _registrations = [];

    public StopSignal()
    {
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal));
        if (StdinIsControlChannel())
        {
            var watcher = new Thread(WatchStdin) { IsBackground = true, Name = "stdin watcher" };
            watcher.Start();
        }
    }

    /// <summary>Cancelled when the run must stop early.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>Why the run stopped early, if it did.</summary>
    public string? Reason { get; private set; }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _stop.Dispose();
    }

    private void Trigger(string reason)
    {
        Reason ??= reason;
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        Trigger(context.Signal == PosixSignal.SIGINT ? "SIGINT" : "SIGTERM");
    }

    private void WatchStdin()
    {
        try
        {
            using var stdin = Console.OpenStandardInput();
            var buffer = new byte[256];
            while (stdin.Read(buffer, 0, buffer.Length) > 0)
            {
            }
        }
        catch (IOException)
        {
        }

        Trigger("stdin closed");
    }

    private static bool StdinIsControlChannel()
    {
        if (!OperatingSystem.IsLinux())
        {
            return !Console.IsInputRedirected;
        }

        try
        {
            // pipe:[...], socket:[...], a terminal or a named FIFO: the caller can close it. /dev/null and regular
            // files with content end at once, so they are not a signal.
            var target = new FileInfo("/proc/self/fd/0").LinkTarget ?? "/dev/null";
            if (target == "/dev/null")
            {
                return false;
            }

            return !target.StartsWith('/') || target.StartsWith("/dev/", StringComparison.Ordinal) || new FileInfo(target).Length == 0;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
