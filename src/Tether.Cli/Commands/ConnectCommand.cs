using System.CommandLine;
using System.Net;
using System.Net.Security;
using System.Text;
using Tether.Cli.Connecting;
using Tether.Cli.Hosting;
using Tether.Cli.Output;
using Tether.Cli.Parsing;
using Tether.Cli.Tls;
using Tether.Client;
using Tether.Security;
using Tether.Transport;

namespace Tether.Cli.Commands;

/// <summary><c>tether connect</c>: an interactive client that sends stdin lines and prints what it receives.</summary>
internal sealed class ConnectCommand : Command
{
    private static readonly TetherClientOptions Defaults = new();

    private readonly Argument<List<EndPoint>> _endPoints = new("endpoints")
    {
        Description = "Server(s) to connect to, HOST:PORT, e.g. 127.0.0.1:7447, [::1]:7447, localhost:7447, example.com:7447. "
            + "With several, see --endpoint-selection.",
        HelpName = "host:port",
        Arity = ArgumentArity.OneOrMore,
        CustomParser = result =>
        {
            var endPoints = new List<EndPoint>();
            foreach (var token in result.Tokens)
            {
                // The endpoints take every word that is not a known option, so an unknown option lands here.
                if (token.Value.StartsWith('-'))
                {
                    result.AddError($"unrecognized option '{token.Value}'");
                }
                else if (EndPointParser.TryParseConnect(token.Value, out var endPoint, out var error))
                {
                    endPoints.Add(endPoint!);
                }
                else
                {
                    result.AddError(error!);
                }
            }

            return endPoints;
        },
    };

    private readonly Option<TransportKind?> _transport = CliOptions.TransportOption();

    private readonly Option<string> _clientId = new("--client-id")
    {
        Description = "Client id presented in HELLO; a newer connection with the same id replaces an older one. [default: anonymous]",
        HelpName = "id",
    };

    private readonly Option<string> _token = new("--token")
    {
        Description = "Credentials presented in HELLO, e.g. from tether token create. A server that rejects them closes with "
            + "AUTH_FAILED or AUTH_EXPIRED, and the client does not retry. [default: none]",
        HelpName = "token",
    };

    private readonly Option<TimeSpan?> _heartbeat = CliOptions.Duration(
        "--heartbeat", "Heartbeat interval to propose to the server (it may clamp it). [default: the server decides]");

    private readonly Option<TimeSpan?> _timeout = CliOptions.Duration(
        "--timeout", "Heartbeat timeout to propose: the connection is declared dead after this much silence. [default: the server decides]");

    private readonly Option<int?> _maxAttempts = CliOptions.OptionalInt(
        "--max-attempts",
        "Connection attempts in total, the first one included, before giving up (exit code 2): 1 tries once and does not "
        + "reconnect. A connection that stays up --stable-after starts the count again. [default: unlimited]",
        min: 1);

    private readonly Option<int> _dnsAttempts = CliOptions.DnsAttempts();

    private readonly Option<TimeSpan?> _backoffBase = CliOptions.Duration(
        "--backoff-base", "Reconnect backoff base: attempt n waits a random time up to base x 2^(n-1).", Defaults.Reconnect.BaseDelay, allowZero: true);

    private readonly Option<TimeSpan?> _backoffMax = CliOptions.Duration(
        "--backoff-max", "Reconnect backoff cap: the longest wait between attempts.", Defaults.Reconnect.MaxDelay, allowZero: true);

    private readonly Option<TimeSpan?> _stableAfter = CliOptions.Duration(
        "--stable-after", "A connection that stays up this long resets the attempt count.", Defaults.Reconnect.StableAfter, allowZero: true);

    private readonly Option<TimeSpan?> _connectTimeout = CliOptions.Duration(
        "--connect-timeout", "Time allowed for TCP connect plus handshake, per attempt.", Defaults.ConnectTimeout);

    private readonly Option<TimeSpan?> _sendTimeout = CliOptions.Duration(
        "--send-timeout", "How long a line typed before the first connection (or, with --no-session, while reconnecting) waits for a "
        + "connection before it is reported as not sent. With a session, lines typed while reconnecting wait in it and go out on resume.",
        Defaults.DisconnectedSendTimeout);

    private readonly Option<EndpointSelection?> _endpointSelection = new("--endpoint-selection")
    {
        Description = "With several endpoints: 'failover' always starts from the first, 'round-robin' rotates. [default: failover]",
        HelpName = "failover|round-robin",
        CustomParser = result =>
        {
            switch (result.Tokens.Count > 0 ? result.Tokens[^1].Value : null)
            {
                case "failover":
                    return EndpointSelection.Failover;
                case "round-robin":
                    return EndpointSelection.RoundRobin;
                case var other:
                    result.AddError($"--endpoint-selection: '{other}' is not one of failover, round-robin");
                    return null;
            }
        },
    };

    private readonly Option<TimeSpan?> _eofDelay = CliOptions.Duration(
        "--eof-delay",
        "After stdin ends, keep printing received messages for this long before closing, so replies to the last lines are "
        + "seen, e.g. echo hi | tether connect HOST:PORT --eof-delay 1s.",
        TimeSpan.Zero,
        allowZero: true);

    private readonly Option<TimeSpan?> _closeTimeout = CliOptions.Duration(
        "--close-timeout",
        "After stdin ends, how long to wait for the server to acknowledge every line sent before closing. Lines still "
        + "unacknowledged then are counted in the closed event ('unacknowledged') and the exit code is 3.",
        TimeSpan.FromSeconds(10),
        allowZero: true);

    private readonly Option<bool> _noSession = new("--no-session")
    {
        Description = "Do not ask for a reliable session: nothing is resumed after a reconnect, and a line sent just "
            + "before a disconnect may be lost (at-most-once). [default: sessions on]",
    };

    private readonly Option<bool> _tls = new("--tls")
    {
        Description = "Connect with TLS, checking the server's certificate against the system's trusted CAs (or --ca) and the host name given. [default: plain TCP]",
    };

    private readonly Option<string> _ca = new("--ca")
    {
        Description = "Trust only the CA certificate(s) in this PEM file for the server's certificate (e.g. the file of tether cert create). Implies --tls.",
        HelpName = "path",
    };

    private readonly Option<bool> _insecure = new("--insecure")
    {
        Description = "Accept any server certificate. For development only: it makes TLS no protection against anyone in the path. Implies --tls.",
    };

    private readonly Option<string> _tlsCert = new("--tls-cert")
    {
        Description = "Client certificate to present (PEM with --tls-key, or a .pfx), for servers that require one. Implies --tls.",
        HelpName = "path",
    };

    private readonly Option<string> _tlsKey = new("--tls-key")
    {
        Description = "The PEM private key of --tls-cert.",
        HelpName = "path",
    };

    private readonly Option<bool> _json = new("--json")
    {
        Description = "Write every event as one JSON object per line on stdout, each with 'event' and 'ts' (UTC): "
            + "connected {endpoint}; message {data, hex if not UTF-8}; "
            + "disconnected {reason, code (the close code, null when none was received), description}; "
            + "reconnecting {attempt (1 for the first retry), delayMs (wait before it), endpoint (where it goes), lastError (why the last attempt failed, absent after a disconnect)}; "
            + "resumed {sessionId, serverLastReceived (the last of our messages the server had), resent}; "
            + "session-lost {sessionId, reason, unacknowledgedSent, serverReportedLost (null when unknown), description}; "
            + "rtt {rttMs}; error {message}; "
            + "closed {reason, unacknowledged (lines the server never acknowledged)}.",
    };

    public ConnectCommand()
        : base("connect", "Connect to a Tether server: each stdin line is sent as a message, each received message is "
            + "printed as a line (hex, prefixed 'hex:', when not UTF-8). Status goes to stderr. Reconnects by itself "
            + "and resumes its reliable session, so nothing is lost or repeated across reconnects (a session the server "
            + "could not resume is reported); stdin EOF or Ctrl-C closes gracefully.")
    {
        Arguments.Add(_endPoints);
        Options.Add(_clientId);
        Options.Add(_token);
        Options.Add(_heartbeat);
        Options.Add(_timeout);
        Options.Add(_maxAttempts);
        Options.Add(_dnsAttempts);
        Options.Add(_backoffBase);
        Options.Add(_backoffMax);
        Options.Add(_stableAfter);
        Options.Add(_connectTimeout);
        Options.Add(_sendTimeout);
        Options.Add(_endpointSelection);
        Options.Add(_eofDelay);
        Options.Add(_closeTimeout);
        Options.Add(_noSession);
        Options.Add(_tls);
        Options.Add(_ca);
        Options.Add(_insecure);
        Options.Add(_tlsCert);
        Options.Add(_tlsKey);
        Options.Add(_json);
        Options.Add(_transport);
        _endpointSelection.CompletionSources.Add("failover", "round-robin");
        SetAction((result, _) => RunAsync(result));
    }

    /// <summary>Turns the parsed options into client options, settling defaults that depend on each other.</summary>
    internal TetherClientOptions BuildOptions(ParseResult result)
    {
        var options = new TetherClientOptions
        {
            ClientId = result.GetValue(_clientId),
            Token = result.GetValue(_token) is { } token ? System.Text.Encoding.UTF8.GetBytes(token) : default,
            HeartbeatInterval = result.GetValue(_heartbeat),
            HeartbeatTimeout = result.GetValue(_timeout),
            EndpointSelection = result.GetValue(_endpointSelection) ?? Defaults.EndpointSelection,
            Transport = result.GetValue(_transport) ?? TransportKind.Auto,
        };
        foreach (var endPoint in result.GetValue(_endPoints) ?? [])
        {
            options.EndPoints.Add(endPoint);
        }

        options.ConnectTimeout = result.GetValue(_connectTimeout) ?? options.ConnectTimeout;
        options.DisconnectedSendTimeout = result.GetValue(_sendTimeout) ?? options.DisconnectedSendTimeout;
        options.Sessions.Enabled = !result.GetValue(_noSession);
        var reconnect = options.Reconnect;
        // The library counts reconnect attempts after the first try; the command line counts every attempt.
        reconnect.MaxAttempts = result.GetValue(_maxAttempts);
        reconnect.StableAfter = result.GetValue(_stableAfter) ?? reconnect.StableAfter;
        // Only one bound given: move the other default so "--backoff-max 100ms" alone means what it says.
        switch (result.GetValue(_backoffBase), result.GetValue(_backoffMax))
        {
            case ({ } b, { } m) when b > m:
                throw new CliException($"--backoff-base ({DurationParser.Format(b)}) must not exceed --backoff-max ({DurationParser.Format(m)})");
            case ({ } b, { } m):
                (reconnect.BaseDelay, reconnect.MaxDelay) = (b, m);
                break;
            case ({ } b, null):
                (reconnect.BaseDelay, reconnect.MaxDelay) = (b, b > reconnect.MaxDelay ? b : reconnect.MaxDelay);
                break;
            case (null, { } m):
                (reconnect.BaseDelay, reconnect.MaxDelay) = (m < reconnect.BaseDelay ? m : reconnect.BaseDelay, m);
                break;
        }

        if (options.HeartbeatInterval is { } interval && options.HeartbeatTimeout is { } timeout && timeout < interval)
        {
            throw new CliException($"--timeout ({DurationParser.Format(timeout)}) must be at least --heartbeat ({DurationParser.Format(interval)})");
        }

        options.Tls = BuildTls(result);
        return options;
    }

    /// <summary>Client TLS from --tls, --ca, --insecure and --tls-cert/--tls-key, or null for plain TCP.</summary>
    private SslClientAuthenticationOptions? BuildTls(ParseResult result)
    {
        var ca = result.GetValue(_ca);
        var insecure = result.GetValue(_insecure);
        var certificate = result.GetValue(_tlsCert);
        if (!result.GetValue(_tls) && ca is null && !insecure && certificate is null)
        {
            if (result.GetValue(_tlsKey) is not null)
            {
                throw new CliException("--tls-key needs --tls-cert");
            }

            return null;
        }

        if (ca is not null && insecure)
        {
            throw new CliException("--ca and --insecure contradict each other: --insecure checks nothing");
        }

        var tls = new SslClientAuthenticationOptions();
        if (insecure)
        {
            Console.Error.WriteLine("tether: WARNING: --insecure: the server's certificate is not checked, so anyone in the path can read and change this connection");
            tls.RemoteCertificateValidationCallback = CertificateTrust.AcceptAnyInsecure;
        }
        else if (ca is not null)
        {
            tls.RemoteCertificateValidationCallback = TlsFiles.Trust(ca, "--ca");
        }

        if (certificate is not null)
        {
            tls.ClientCertificates = [TlsFiles.Certificate(certificate, result.GetValue(_tlsKey), "--tls-cert", "--tls-key")];
        }

        return tls;
    }

    private async Task<int> RunAsync(ParseResult result)
    {
        var options = BuildOptions(result);
        using var signal = new ShutdownSignal();
        using var json = result.GetValue(_json) ? new JsonEventWriter(Console.OpenStandardOutput(), Console.Error) : null;
        IClientEventSink sink = json is not null ? json : new HumanEventWriter(Console.Out, Console.Error);
        try
        {
            await HostResolver.ResolveAllAsync(options.EndPoints, result.GetValue(_dnsAttempts), sink.Error, signal.Stopping).ConfigureAwait(false);
        }
        catch (CliException ex)
        {
            sink.Closed("gave-up", null, ex.Message);
            return ex.ExitCode;
        }
        catch (OperationCanceledException) when (signal.Stopping.IsCancellationRequested)
        {
            sink.Closed("closed", null, null);
            return ExitCodes.Success;
        }

        using var input = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        var client = new TetherClient(options);
        await using (client.ConfigureAwait(false))
        {
            var settings = new ConnectSettings(
                result.GetValue(_eofDelay) ?? TimeSpan.Zero,
                result.GetValue(_closeTimeout) ?? TimeSpan.FromSeconds(10),
                options.Tls is not null);
            var session = new ConnectSession(client, sink, input, settings);
            return await session.RunAsync(signal).ConfigureAwait(false);
        }
    }
}
