using System.Diagnostics;

namespace Tether.Bench.Infra;

/// <summary>
/// The live progress on stderr. On a terminal one status line is redrawn in place (at most four times a second);
/// otherwise a plain line is written when the status changes, at most once per second. Notes (warnings, phase ends)
/// are always written as their own lines.
/// </summary>
internal sealed class ProgressDisplay : IDisposable
{
    private readonly TextWriter _error;
    private readonly bool _interactive;
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly Timer _timer;
    private readonly Lock _lock = new();
    private string _phase = "";
    private string _status = "";
    private string _lastWritten = "";
    private bool _lineOpen;

    public ProgressDisplay(TextWriter error)
    {
        _error = error;
        _interactive = !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb");
        var period = _interactive ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(1);
        _timer = new Timer(_ => Render(), null, period, period);
    }

    /// <summary>Starts a phase (e.g. "run 1/3 kestrel: connecting"); the status under it is cleared.</summary>
    public void Phase(string phase)
    {
        lock (_lock)
        {
            _phase = phase;
            _status = "";
        }

        Render();
    }

    /// <summary>Sets the detail of the current phase (e.g. "12,345/19,000 connected"); drawn at the next tick.</summary>
    public void Status(string status)
    {
        lock (_lock)
        {
            _status = status;
        }
    }

    /// <summary>A line that stays: a warning, a result of one step.</summary>
    public void Note(string note)
    {
        lock (_lock)
        {
            ClearLine();
            _error.WriteLine($"[{Elapsed()}] {note}");
            _lastWritten = "";
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        lock (_lock)
        {
            ClearLine();
        }
    }

    private void Render()
    {
        lock (_lock)
        {
            var text = _status.Length == 0 ? _phase : $"{_phase}: {_status}";
            if (text.Length == 0)
            {
                return;
            }

            if (_interactive)
            {
                var width = Math.Max(20, SafeWidth() - 1);
                var line = $"[{Elapsed()}] {text}";
                _error.Write("\r\u001b[2K" + (line.Length > width ? line[..width] : line));
                _lineOpen = true;
            }
            else if (text != _lastWritten)
            {
                _error.WriteLine($"[{Elapsed()}] {text}");
                _lastWritten = text;
            }
        }
    }

    private void ClearLine()
    {
        if (_lineOpen)
        {
            _error.Write("\r\u001b[2K");
            _lineOpen = false;
        }
    }

    private string Elapsed()
    {
        var elapsed = Stopwatch.GetElapsedTime(_start);
        return $"{(int)elapsed.TotalMinutes:00}:{elapsed.Seconds:00}";
    }

    private static int SafeWidth()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 120;
        }
        catch (IOException)
        {
            return 120;
        }
    }
}
