namespace Tether.Cli.Conformance;

/// <summary>A scenario step whose expectation was not met; the message says what was expected and what came.</summary>
internal sealed class ScenarioFailure : Exception
{
    public ScenarioFailure(string message)
        : base(message)
    {
    }
}
