namespace Tether.Hosting;

/// <summary>The configuration sections <see cref="TetherServiceCollectionExtensions"/> binds options from.</summary>
public static class TetherConfigurationSections
{
    /// <summary><c>Tether:Server</c>: <see cref="Server.TetherServerOptions"/> (environment: <c>Tether__Server__...</c>).</summary>
    public const string Server = "Tether:Server";

    /// <summary><c>Tether:Client</c>: <see cref="Client.TetherClientOptions"/> (environment: <c>Tether__Client__...</c>).</summary>
    public const string Client = "Tether:Client";
}
