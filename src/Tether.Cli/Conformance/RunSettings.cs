namespace Tether.Cli.Conformance;

/// <summary>What one run of the runner plays against, and how patient it is.</summary>
internal sealed record RunSettings
{
    /// <summary>Server role: the server's host (name or address).</summary>
    public string? TargetHost { get; init; }

    /// <summary>Server role: the server's port.</summary>
    public int TargetPort { get; init; }

    /// <summary>Client role: the program and its own arguments.</summary>
    public IReadOnlyList<string> Command { get; init; } = [];

    /// <summary>The server's handshake timeout, as <c>$handshakeTimeoutMs</c> in scenarios.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Multiplies every "within" limit, for slow machines; lower bounds are not scaled.</summary>
    public double TimeoutScale { get; init; } = 1;

    /// <summary>How long a client program has for its first connection of the run (a first run may compile).</summary>
    public TimeSpan FirstStartup { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Where --trace writes every frame sent and received, or null.</summary>
    public Action<string>? Trace { get; init; }

    /// <summary>How long a client program has for the first connection of every later scenario (process start).</summary>
    public TimeSpan Startup { get; init; } = TimeSpan.FromSeconds(15);
}
