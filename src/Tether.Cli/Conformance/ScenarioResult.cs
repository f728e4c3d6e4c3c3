namespace Tether.Cli.Conformance;

/// <summary>How one scenario went: passed, or the failure line.</summary>
internal sealed record ScenarioResult(string Name, string? Failure, TimeSpan Duration)
{
    public bool Passed => Failure is null;
}
