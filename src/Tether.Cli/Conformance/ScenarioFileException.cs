namespace Tether.Cli.Conformance;

/// <summary>A scenario file that cannot be played as written (unknown step, missing field, bad value).</summary>
internal sealed class ScenarioFileException : Exception
{
    public ScenarioFileException(string message)
        : base(message)
    {
    }
}
