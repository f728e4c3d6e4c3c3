namespace Tether.Cli.Soak;

/// <summary>What a soak client receives, and so which of its streams are checked on its side.</summary>
/// <param name="Echo">The server echoes the client's own upstream messages: the round trip is checked on the echo.</param>
/// <param name="Pushes">The soak's own server pushes numbered downstream messages to the client by its id.</param>
internal readonly record struct SoakTraffic(bool Echo, bool Pushes)
{
    /// <summary>The in-process server: it checks upstream itself and pushes downstream.</summary>
    public static SoakTraffic InProcess => new(Echo: false, Pushes: true);

    /// <summary>An external echo server (--target): only the round trip.</summary>
    public static SoakTraffic EchoOnly => new(Echo: true, Pushes: false);

    /// <summary>A cluster: echo nodes for the round trip, and pushes from the soak's own node routed through Redis.</summary>
    public static SoakTraffic Cluster => new(Echo: true, Pushes: true);
}
