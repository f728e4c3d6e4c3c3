namespace Tether.Cli;

/// <summary>An expected failure with a one-line message for stderr and the exit code that goes with it.</summary>
internal sealed class CliException : Exception
{
    public CliException(string message, int exitCode = ExitCodes.Usage)
        : base(message) => ExitCode = exitCode;

    public int ExitCode { get; }
}
