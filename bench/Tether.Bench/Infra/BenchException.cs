namespace Tether.Bench.Infra;

/// <summary>A failure worth one plain line (no stack trace): a missing binary, a server that did not start, a timeout.</summary>
internal sealed class BenchException : Exception
{
    public BenchException(string message)
        : base(message)
    {
    }

    public BenchException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public BenchException()
    {
    }
}
