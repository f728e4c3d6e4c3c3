// Over 350 lines: the declaration of every `tether serve` option with its help text, in the order --help lists them;
// parsing and validation of the values live in Parsing/ and in the library's options.
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using System.Net.Security;
using Microsoft.Extensions.Logging;
using Tether.Authentication;
using Tether.Cli.Auth;
using Tether.Cli.Parsing;
using Tether.Cli.Serving;
using Tether.Cli.Tls;
using Tether.Cluster;
using Tether.Heartbeat;
using Tether.Server;
using Tether.Transport;

namespace Tether.Cli.Commands;

/// <summary><c>tether serve</c>: an echo server that logs connections and stops gracefully on Ctrl-C or SIGTERM.</summary>
internal sealed class ServeCommand : Command
{
    private static readonly TetherServerOptions Defaults = new();

    private readonly Option<List<ListenSpec>> _listen = new("--listen", "-l")
    {
        Description = $"Where to listen and how peers frame messages: {ListenSyntax.Usage}, repeat for several. HOST:PORT: "
            + "127.0.0.1:7447, [::1]:7447, 0.0.0.0:7447, localhost:7447 (= 127.0.0.1), :7447 (all IPv4 interfaces), "
            + "[::]:7447 (IPv6 and IPv4); port 0 picks a free port (see --port-file). FRAMING: tether (the Tether protocol, "
            + "the default), or a plain framing for programs that do not speak it: lines (one message per line), "
            + "length-prefixed (a big-endian length, then the message), raw (whatever one read returns). Keys: tls (any framing: "
            + "this listener uses TLS, see --tls-cert); plain framings only: idle-timeout=DURATION (drop a peer silent this long; default --timeout), probe[=TEXT] "
            + "(send TEXT, default PING, after each probe-interval=DURATION of silence; default --heartbeat), ping[=TEXT] "
            + "with pong=TEXT (answer a ping, default PING, with the pong, default PONG; neither is delivered), "
            + "max-length=BYTES (lines, length-prefixed), header=u16|u32 (length-prefixed, default u32). TEXT may use "
            + @"\n \r \t \\ \xHH. E.g. --listen 127.0.0.1:7447 --listen lines@127.0.0.1:7448,ping --listen raw@127.0.0.1:8888 "
            + "[default: 127.0.0.1:7447]",
        HelpName = "[framing@]host:port",
        Arity = ArgumentArity.OneOrMore,
        CustomParser = result =>
        {
            var specs = new List<ListenSpec>();
            foreach (var token in result.Tokens)
            {
                if (ListenSpecParser.TryParse(token.Value, out var spec, out var error))
                {
                    specs.Add(spec);
                }
                else
                {
                    result.AddError($"--listen: {error}");
                }
            }

            return specs;
        },
    };

    private readonly Option<TimeSpan?> _heartbeat = CliOptions.Duration(
        "--heartbeat",
        "Heartbeat interval for clients that do not propose one: a PING goes out after this much silence. Also the "
            + "probe-interval of plain listeners that set none.",
        Defaults.Heartbeat.Interval);

    private readonly Option<TimeSpan?> _timeout = CliOptions.Duration(
        "--timeout",
        "Heartbeat timeout for clients that do not propose one: a client silent this long is dropped. Also the "
            + "idle-timeout of plain listeners that set none. Without this option it is 2.5 x --heartbeat.",
        Defaults.Heartbeat.Timeout);

    private readonly Option<TimeSpan?> _handshakeTimeout = CliOptions.Duration(
        "--handshake-timeout", "Time a new connection has to complete its HELLO.", Defaults.HandshakeTimeout);

    private readonly Option<int> _maxFrameSize = CliOptions.Int(
        "--max-frame-size", "Largest message body accepted from Tether protocol peers, in bytes (at least 1024); plain listeners use max-length.", Defaults.MaxFrameSize, min: 1024, helpName: "bytes");

    private readonly Option<int> _maxConnections = CliOptions.Int(
        "--max-connections", "Connections beyond this are refused with TOO_MANY_CONNECTIONS.", Defaults.MaxConnections, min: 1);

    private readonly Option<int?> _maxConnectionsPerAddress = CliOptions.OptionalInt(
        "--max-connections-per-address", "Connections one source address may hold; more are refused with TOO_MANY_CONNECTIONS. [default: no limit, as many clients can share one NAT address]", min: 1);

    private readonly Option<TimeSpan?> _drain = CliOptions.Duration(
        "--drain",
        "On Ctrl-C or SIGTERM, how long clients get to leave after GOAWAY before the rest are closed; 0 closes at once. A second Ctrl-C ends the drain early.",
        Defaults.ShutdownDrainTimeout,
        allowZero: true);

    private readonly Option<string> _serverId = new("--server-id")
    {
        Description = "Node name announced to clients in WELCOME. [default: the machine name]",
        HelpName = "name",
    };

    private readonly Option<LogLevel?> _logLevel = CliOptions.LogLevelOption(
        "--log-level", "Minimum log level: trace, debug, info, warning, error, critical or none. [default: info]");

    private readonly Option<bool> _jsonLog = new("--json-log")
    {
        Description = "Write logs as JSON lines instead of text lines.",
    };

    private readonly Option<TransportKind?> _transport = CliOptions.TransportOption();

    private readonly Option<bool> _keepMemory = new("--keep-memory-after-peak")
    {
        Description = "Do not give memory back after a peak. By default, when the connections and sessions held fall to a quarter of their peak (at least 4,096), the server runs one compacting full collection that returns the freed memory to the system, and logs it.",
    };

    // Nullable with no DefaultValueFactory: help would print the factory's value too, as "[default: Echo]".
    private readonly Option<ServeApp?> _app = new("--app")
    {
        Description = "What to do with each message: echo (back to its sender) or broadcast (to every connection, the sender included: a chat room). [default: echo]",
        HelpName = "echo|broadcast",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (Enum.TryParse<ServeApp>(text, ignoreCase: true, out var app) && !int.TryParse(text, out _))
            {
                return app;
            }

            result.AddError($"--app: unknown application '{text}' (use echo or broadcast)");
            return ServeApp.Echo;
        },
    };

    private readonly Option<string> _authSecretFile = new("--auth-secret-file")
    {
        Description = "Require every Tether protocol client to present a token signed with the secret in this file (see "
            + "tether token create): a missing, forged or tampered token is closed with AUTH_FAILED, an expired one with "
            + "AUTH_EXPIRED, and the connection's client id is the token's. [default: no authentication]",
        HelpName = "path",
    };

    private readonly Option<string> _tlsCert = new("--tls-cert")
    {
        Description = "Certificate for TLS: a PEM file (with --tls-key) or a .pfx. Every listener then uses TLS, or only "
            + "those whose --listen carries ',tls' if any does. tether cert create makes one for development. [default: no TLS]",
        HelpName = "path",
    };

    private readonly Option<string> _tlsKey = new("--tls-key")
    {
        Description = "The PEM private key of --tls-cert.",
        HelpName = "path",
    };

    private readonly Option<string> _tlsClientCa = new("--tls-client-ca")
    {
        Description = "Require every TLS client to present a certificate signed by a CA in this PEM file; others fail the TLS handshake. [default: no client certificates]",
        HelpName = "path",
    };

    private readonly Option<int?> _maxMessageRate = CliOptions.OptionalInt(
        "--max-message-rate", $"Frames per second one connection may send on average (and at once); over it the connection is closed with RATE_LIMITED; 0 for no limit. [default: {Defaults.RateLimits.MessagesPerSecond:0}]", min: 0);

    private readonly Option<int?> _maxByteRate = CliOptions.OptionalInt(
        "--max-byte-rate", $"Bytes per second one connection may send on average (and at once); over it the connection is closed with RATE_LIMITED; 0 for no limit. [default: {Defaults.RateLimits.BytesPerSecond:0} (64 MiB)]", min: 0, helpName: "bytes");

    private readonly Option<int?> _maxConnectionRate = CliOptions.OptionalInt(
        "--max-connection-rate-per-address", "New connections per second one source address (an IPv6 /64) may open; more are refused with RATE_LIMITED before any work. [default: no limit, as a NAT's clients reconnecting after a restart look like a flood]", min: 1);

    private readonly Option<string> _portFile = new("--port-file")
    {
        Description = "Once listening, write the bound port(s) to this file, one per line in --listen order (useful with port 0). Removed when the server stops.",
        HelpName = "path",
    };

    private readonly Option<string?> _redis = CliOptions.Redis(
        "Run as one node of a cluster sharing this Redis (HOST:PORT): pushes to a client id, broadcasts and reliable "
        + "sessions reach clients on every node, so a client may fail over to any of them. A Redis that is down does not "
        + "stop the server from starting; it reconnects in the background. [default: a single node, no Redis]");

    private readonly Option<string> _nodeName = new("--node-name")
    {
        Description = "This node's name in the cluster (presence, logs); needs --redis. [default: the machine name and the process id]",
        HelpName = "name",
    };

    private readonly Option<string> _redisPrefix = new("--redis-prefix")
    {
        Description = $"Prefix of every Redis key and channel, so that several clusters can share one Redis; needs --redis. [default: {new ScaleOutOptions().KeyPrefix}]",
        HelpName = "prefix",
    };

    private readonly Option<TimeSpan?> _redisTimeout = CliOptions.Duration(
        "--redis-timeout",
        "How long a cross-node push, broadcast or reliable message may wait for Redis before it fails with an error; needs --redis.",
        new ScaleOutOptions().OperationTimeout);

    private readonly Option<bool> _stopOnStdinEnd = new("--stop-on-stdin-end")
    {
        Description = "Stop gracefully, as on SIGTERM, when stdin ends: for a parent process that starts the server through a pipe and may die without stopping it (tether soak --cluster starts its nodes so).",
    };

    private readonly Option<TimeSpan?> _goAwaySpread = CliOptions.Duration(
        "--goaway-spread",
        "During a drain, send GOAWAY to the clients in even batches over this window instead of all at once, so that they do not all reconnect elsewhere in the same second; at most --drain. [default: 0.8 x --drain]",
        allowZero: true);

    private readonly Option<TimeSpan?> _lameDuck = CliOptions.Duration(
        "--lame-duck",
        "On Ctrl-C or SIGTERM, report not ready (/health/ready) and keep serving this long before the first GOAWAY, so that a load balancer stops sending new clients first.",
        TimeSpan.Zero,
        allowZero: true);

    private readonly Option<string> _admin = new("--admin")
    {
        Description = "Run the admin listener on HOST:PORT (port 0 picks a free one): the push and admin HTTP API (/api/...), "
            + "Prometheus metrics (/metrics), health probes (/health/live, /health/ready) and a live dashboard (/). Every "
            + "request but health needs the API key (Authorization: Bearer KEY). A non-loopback address needs --api-key-file. "
            + "[default: off]",
        HelpName = "host:port",
    };

    private readonly Option<string> _apiKeyFile = new("--api-key-file")
    {
        Description = "The admin API key, read from this file (the first line). [default: on a loopback --admin, a random key made up at start and printed once]",
        HelpName = "path",
    };

    private readonly Option<string> _upstreamUrl = new("--upstream-url")
    {
        Description = "POST what clients send, and their connects and disconnects, to this HTTP endpoint in ordered JSON batches, at least once; "
            + "while it is slow or down the server stops reading from the clients it holds messages of (docs/operations.md). "
            + "Without an explicit --app, messages go only there. [default: off]",
        HelpName = "url",
    };

    private readonly Option<string> _authUrl = new("--auth-url")
    {
        Description = "Ask this HTTP endpoint whether each client may connect, and under which client id; answers are cached briefly, "
            + "and while it cannot answer new clients are refused with SERVER_BUSY and a retry-after. Not with --auth-secret-file. [default: off]",
        HelpName = "url",
    };

    private readonly Option<string> _config = new("--config")
    {
        Description = "Read settings from this JSON file: every flag has a key, e.g. {\"Tether\": {\"Server\": {\"Heartbeat\": "
            + "{\"Interval\": \"30s\"}}, \"Serve\": {\"Listen\": [\"127.0.0.1:7447\"]}}} (docs/operations.md lists them). "
            + "Environment variables set the same keys (Tether__Server__Heartbeat__Interval=30s) and win over the file; flags win over both.",
        HelpName = "path",
    };

    public ServeCommand()
        : base("serve", "Run a Tether server that echoes every message back to its sender. It listens for the Tether "
            + "protocol, and with --listen FRAMING@HOST:PORT also for plain TCP programs that send lines, length-prefixed "
            + "messages or raw bytes, e.g. tether serve --listen 127.0.0.1:7447 --listen lines@127.0.0.1:7448,ping "
            + "--listen raw@127.0.0.1:8888. Logs go to stdout; a 'tether: listening on ...' line goes to stderr once it "
            + "accepts connections.")
    {
        Options.Add(_listen);
        Options.Add(_heartbeat);
        Options.Add(_timeout);
        Options.Add(_handshakeTimeout);
        Options.Add(_maxFrameSize);
        Options.Add(_maxConnections);
        Options.Add(_maxConnectionsPerAddress);
        Options.Add(_drain);
        Options.Add(_serverId);
        Options.Add(_logLevel);
        Options.Add(_jsonLog);
        Options.Add(_app);
        Options.Add(_keepMemory);
        Options.Add(_transport);
        Options.Add(_authSecretFile);
        Options.Add(_tlsCert);
        Options.Add(_tlsKey);
        Options.Add(_tlsClientCa);
        Options.Add(_maxMessageRate);
        Options.Add(_maxByteRate);
        Options.Add(_maxConnectionRate);
        Options.Add(_portFile);
        Options.Add(_redis);
        Options.Add(_nodeName);
        Options.Add(_redisPrefix);
        Options.Add(_redisTimeout);
        Options.Add(_stopOnStdinEnd);
        Options.Add(_goAwaySpread);
        Options.Add(_lameDuck);
        Options.Add(_admin);
        Options.Add(_apiKeyFile);
        Options.Add(_upstreamUrl);
        Options.Add(_authUrl);
        Options.Add(_config);
        SetAction((result, _) => RunAsync(result));
    }

    /// <summary>Turns the parsed options into server options, settling defaults that depend on each other.</summary>
    internal TetherServerOptions BuildOptions(ParseResult result)
    {
        var options = new TetherServerOptions
        {
            MaxFrameSize = result.GetValue(_maxFrameSize),
            MaxConnections = result.GetValue(_maxConnections),
            MaxConnectionsPerAddress = result.GetValue(_maxConnectionsPerAddress) ?? int.MaxValue,
            Heartbeat = BuildHeartbeat(result.GetValue(_heartbeat), result.GetValue(_timeout)),
            ReturnMemoryAfterPeak = !result.GetValue(_keepMemory),
            Transport = result.GetValue(_transport) ?? TransportKind.Auto,
        };
        var listen = result.GetValue(_listen) is { Count: > 0 } given ? given : [ListenSpec.Default];
        var tls = BuildTls(result, listen);
        var tlsEverywhere = !listen.Any(spec => spec.Tls);
        foreach (var spec in listen)
        {
            var listener = spec.ToListenerOptions();
            listener.Tls = spec.Tls || tlsEverywhere ? tls : null;
            options.Listeners.Add(listener);
        }

        var rates = options.RateLimits;
        rates.MessagesPerSecond = result.GetValue(_maxMessageRate) ?? rates.MessagesPerSecond;
        rates.BytesPerSecond = result.GetValue(_maxByteRate) ?? rates.BytesPerSecond;
        rates.ConnectionsPerAddressPerSecond = result.GetValue(_maxConnectionRate) ?? rates.ConnectionsPerAddressPerSecond;

        options.HandshakeTimeout = result.GetValue(_handshakeTimeout) ?? options.HandshakeTimeout;
        if (result.GetValue(_authSecretFile) is { } secretFile)
        {
            options.Authenticator = new SignedTokenAuthenticator(SecretFile.Read(secretFile, "--auth-secret-file"));
        }

        options.ShutdownDrainTimeout = result.GetValue(_drain) ?? options.ShutdownDrainTimeout;
        options.GoAwaySpread = result.GetValue(_goAwaySpread) ?? options.ShutdownDrainTimeout * 0.8;
        if (options.GoAwaySpread > options.ShutdownDrainTimeout)
        {
            throw new CliException($"--goaway-spread ({DurationParser.Format(options.GoAwaySpread)}) must not exceed --drain ({DurationParser.Format(options.ShutdownDrainTimeout)})");
        }

        options.LameDuckDelay = result.GetValue(_lameDuck) ?? TimeSpan.Zero;
        if (result.GetValue(_authUrl) is not null && options.Authenticator is not null)
        {
            throw new CliException("--auth-url and --auth-secret-file contradict each other: choose one way to check clients");
        }

        if (result.GetValue(_apiKeyFile) is not null && result.GetValue(_admin) is null)
        {
            throw new CliException("--api-key-file needs --admin");
        }
        if (result.GetValue(_serverId) is { } serverId)
        {
            options.ServerId = serverId;
        }

        options.ScaleOut = BuildScaleOut(result);
        Validate(options);
        return options;
    }

    /// <summary>
    /// The cluster settings from --redis/--node-name/--redis-prefix, or null for a single node. The node name is settled
    /// here (as the library would default it) so that the startup line can say which node this is.
    /// </summary>
    private ScaleOutOptions? BuildScaleOut(ParseResult result)
    {
        var nodeName = result.GetValue(_nodeName);
        var prefix = result.GetValue(_redisPrefix);
        var timeout = result.GetValue(_redisTimeout);
        if (result.GetValue(_redis) is not { } redis)
        {
            if (nodeName is not null || prefix is not null || timeout is not null)
            {
                var option = nodeName is not null ? "--node-name" : prefix is not null ? "--redis-prefix" : "--redis-timeout";
                throw new CliException($"{option} needs --redis (it only means something in a cluster)");
            }

            return null;
        }

        var scaleOut = new ScaleOutOptions
        {
            Redis = redis,
            NodeName = nodeName ?? $"{Environment.MachineName}-{Environment.ProcessId}",
        };
        if (prefix is not null)
        {
            scaleOut.KeyPrefix = prefix;
        }

        if (timeout is { } operationTimeout)
        {
            // A push may wait for a dead node's answer and retry: give it a few operations' time, within the bound.
            scaleOut.OperationTimeout = operationTimeout;
            var remote = TimeSpan.FromTicks(Math.Min(operationTimeout.Ticks * 3, TimeSpan.FromSeconds(30).Ticks));
            scaleOut.RemoteSendTimeout = remote > scaleOut.RemoteSendTimeout ? remote : scaleOut.RemoteSendTimeout;
        }

        try
        {
            scaleOut.Validate();
        }
        catch (ArgumentException ex)
        {
            var option = ex.Message.Contains("node name", StringComparison.Ordinal) ? "--node-name"
                : ex.Message.Contains("prefix", StringComparison.Ordinal) ? "--redis-prefix"
                : ex.Message.Contains("timeout", StringComparison.Ordinal) ? "--redis-timeout"
                : "--redis";
            throw new CliException($"{option}: {ex.Message}");
        }

        return scaleOut;
    }

    /// <summary>
    /// The library's own checks (e.g. a listener's probe interval against its idle timeout), made before anything
    /// starts so that a contradiction is a usage error in one line, in the words of the setting at fault.
    /// </summary>
    private static void Validate(TetherServerOptions options)
    {
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ex.Message);
        }
    }

    /// <summary>The TLS settings from --tls-cert/--tls-key/--tls-client-ca, or null without a certificate.</summary>
    private SslServerAuthenticationOptions? BuildTls(ParseResult result, IReadOnlyList<ListenSpec> listen)
    {
        if (result.GetValue(_tlsCert) is not { } certificateFile)
        {
            if (listen.FirstOrDefault(spec => spec.Tls) is { } marked)
            {
                throw new CliException($"--listen {marked.EndPoint},tls needs --tls-cert (and --tls-key for a PEM certificate)");
            }

            if (result.GetValue(_tlsKey) is not null || result.GetValue(_tlsClientCa) is not null)
            {
                throw new CliException("--tls-key and --tls-client-ca need --tls-cert");
            }

            return null;
        }

        var tls = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(TlsFiles.Certificate(certificateFile, result.GetValue(_tlsKey), "--tls-cert", "--tls-key"), additionalCertificates: null),
        };
        if (result.GetValue(_tlsClientCa) is { } clientCa)
        {
            tls.ClientCertificateRequired = true;
            tls.RemoteCertificateValidationCallback = TlsFiles.Trust(clientCa, "--tls-client-ca");
        }

        return tls;
    }

    private static HeartbeatOptions BuildHeartbeat(TimeSpan? interval, TimeSpan? timeout)
    {
        var heartbeat = new HeartbeatOptions();
        // Keep the default timeout/interval ratio when only one of them is given, so "--heartbeat 2m" alone works.
        var ratio = heartbeat.Timeout / heartbeat.Interval;
        switch (interval, timeout)
        {
            case ({ } i, { } t):
                (heartbeat.Interval, heartbeat.Timeout) = (i, t);
                break;
            case ({ } i, null):
                (heartbeat.Interval, heartbeat.Timeout) = (i, i * ratio);
                break;
            case (null, { } t) when t < heartbeat.Interval:
                (heartbeat.Interval, heartbeat.Timeout) = (t / ratio, t);
                break;
            case (null, { } t):
                heartbeat.Timeout = t;
                break;
        }

        // An explicit setting must not be clamped by the bounds meant for client proposals. (A short timeout gets a finer
        // timing wheel from the server itself.)
        heartbeat.MinInterval = Min(heartbeat.MinInterval, heartbeat.Interval);
        heartbeat.MaxInterval = Max(heartbeat.MaxInterval, heartbeat.Interval);
        heartbeat.MaxTimeout = Max(heartbeat.MaxTimeout, heartbeat.Timeout);
        return heartbeat;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private Task<int> RunAsync(ParseResult given)
    {
        var configuration = ServeConfiguration.Load(given.GetValue(_config));
        var result = WithConfiguration(given, configuration);
        TetherServerOptions options;
        try
        {
            options = BuildOptions(result);
        }
        catch (CliException ex)
        {
            throw new CliException(configuration.InTermsOfKeys(ex.Message), ex.ExitCode);
        }

        return ServeRun.RunAsync(new ServeSettings(
            options,
            result.GetValue(_app) ?? ServeApp.Echo,
            result.GetValue(_portFile),
            result.GetValue(_logLevel) ?? LogLevel.Information,
            result.GetValue(_jsonLog),
            result.GetValue(_stopOnStdinEnd),
            result,
            configuration.Configuration));
    }

    /// <summary>
    /// The command line completed with the flags the file and environment set, parsed again so that each value is
    /// checked as its flag is; a bad configured value is a usage error naming its key.
    /// </summary>
    private ParseResult WithConfiguration(ParseResult given, ServeConfiguration configuration)
    {
        var tokens = given.Tokens.Select(token => token.Value).ToList();
        var args = tokens[(given.Tokens.ToList().FindIndex(token => token.Type == TokenType.Command && token.Value == Name) + 1)..];
        var completed = configuration.Complete(this, given, args);
        if (completed.Count == args.Count)
        {
            return given;
        }

        var result = Parse(completed);
        if (result.Errors.Count > 0)
        {
            throw new CliException(configuration.InTermsOfKeys(string.Join("; ", result.Errors.Select(error => error.Message.TrimEnd('.')).Distinct())));
        }

        return result;
    }

    /// <summary>
    /// The bound endpoints with their framings, e.g. <c>127.0.0.1:7447 (tether), 127.0.0.1:7448 (lines)</c>. The server
    /// binds its listeners in the order of <paramref name="listeners"/>, which is the --listen order.
    /// </summary>
    internal static string DescribeListeners(IReadOnlyList<IPEndPoint> bound, IEnumerable<ListenerOptions> listeners) =>
        string.Join(", ", bound.Zip(listeners, (endPoint, listener) => $"{endPoint} ({listener.FramingName}{(listener.Tls is null ? "" : " over TLS")})"));
}
