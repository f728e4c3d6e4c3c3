namespace Tether.Cli.Conformance;

/// <summary>A problem that makes the whole run impossible (program cannot start, server unreachable): exit code 2.</summary>
internal sealed class ConformanceRunException : Exception
{
    public ConformanceRunException(string message)
        : base(message)
    {
    }
}
