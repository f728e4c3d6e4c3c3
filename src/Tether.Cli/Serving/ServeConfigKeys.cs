namespace Tether.Cli.Serving;

/// <summary>
/// The configuration key of every <c>tether serve</c> flag, for <c>--config FILE</c> and environment variables
/// (<c>Tether__Server__Heartbeat__Interval=30s</c>): adding a flag to the configuration is one line here. Keys of
/// settings the library has (<c>TetherServerOptions</c>) use its names under <c>Tether:Server</c>, as
/// <c>AddTetherServer</c> binds them; the command's own settings are under <c>Tether:Serve</c>. Values are written as
/// on the command line (durations as 30s, listeners as FRAMING@HOST:PORT,KEYS); a repeatable flag takes a JSON array.
/// </summary>
internal static class ServeConfigKeys
{
    public static IReadOnlyList<(string Flag, string Key)> All { get; } =
    [
        ("--listen", "Tether:Serve:Listen"),
        ("--heartbeat", "Tether:Server:Heartbeat:Interval"),
        ("--timeout", "Tether:Server:Heartbeat:Timeout"),
        ("--handshake-timeout", "Tether:Server:HandshakeTimeout"),
        ("--max-frame-size", "Tether:Server:MaxFrameSize"),
        ("--max-connections", "Tether:Server:MaxConnections"),
        ("--max-connections-per-address", "Tether:Server:MaxConnectionsPerAddress"),
        ("--drain", "Tether:Server:ShutdownDrainTimeout"),
        ("--server-id", "Tether:Server:ServerId"),
        ("--log-level", "Tether:Serve:LogLevel"),
        ("--json-log", "Tether:Serve:JsonLog"),
        ("--app", "Tether:Serve:App"),
        ("--keep-memory-after-peak", "Tether:Serve:KeepMemoryAfterPeak"),
        ("--transport", "Tether:Server:Transport"),
        ("--auth-secret-file", "Tether:Serve:AuthSecretFile"),
        ("--tls-cert", "Tether:Serve:Tls:Certificate"),
        ("--tls-key", "Tether:Serve:Tls:Key"),
        ("--tls-client-ca", "Tether:Serve:Tls:ClientCa"),
        ("--max-message-rate", "Tether:Server:RateLimits:MessagesPerSecond"),
        ("--max-byte-rate", "Tether:Server:RateLimits:BytesPerSecond"),
        ("--max-connection-rate-per-address", "Tether:Server:RateLimits:ConnectionsPerAddressPerSecond"),
        ("--port-file", "Tether:Serve:PortFile"),
        ("--redis", "Tether:Server:ScaleOut:Redis"),
        ("--node-name", "Tether:Server:ScaleOut:NodeName"),
        ("--redis-prefix", "Tether:Server:ScaleOut:KeyPrefix"),
        ("--redis-timeout", "Tether:Server:ScaleOut:OperationTimeout"),
        ("--stop-on-stdin-end", "Tether:Serve:StopOnStdinEnd"),
        ("--goaway-spread", "Tether:Server:GoAwaySpread"),
        ("--lame-duck", "Tether:Server:LameDuckDelay"),
        ("--admin", "Tether:Admin:Listen"),
        ("--api-key-file", "Tether:Admin:ApiKeyFile"),
        ("--upstream-url", "Tether:Upstream:Url"),
        ("--auth-url", "Tether:Auth:Url"),
    ];

    /// <summary>The sections whose every key must be one of <see cref="All"/>: a typo there is an error, not a silent default.</summary>
    public static IReadOnlyList<string> CheckedSections { get; } = ["Tether:Serve", "Tether:Server"];
}
