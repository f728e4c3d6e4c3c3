using Microsoft.Extensions.Logging;

namespace Tether.Cli.Proxying;

/// <summary>
/// Warnings from the fault proxy (typically "could not connect to the target") as one <c>tether: warning: ...</c> line
/// each on stderr, so a wrong <c>--target</c> is not silent. Lower levels are dropped: the replies already say what
/// changed.
/// </summary>
internal sealed class ProxyWarningLogger : ILogger
{
    private readonly TextWriter _errors;

    public ProxyWarningLogger(TextWriter errors) => _errors = errors;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel is >= LogLevel.Warning and < LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var message = formatter(state, exception);
        if (exception is not null)
        {
            message = $"{message}: {exception.Message}";
        }

        try
        {
            // Console.Error is synchronized; the proxy logs from its own threads.
            _errors.WriteLine($"tether: warning: {message}");
        }
        catch (IOException)
        {
            // Nowhere left to report to.
        }
    }
}
