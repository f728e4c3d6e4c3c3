namespace Tether.Cli.Conformance;

/// <summary>Which implementation a scenario checks; the runner plays the other side.</summary>
internal enum ScenarioRole
{
    /// <summary>The runner is a client and checks a server.</summary>
    Server,

    /// <summary>The runner is a server and checks a client program it starts.</summary>
    Client,
}
