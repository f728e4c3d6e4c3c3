using System.CommandLine;
using System.CommandLine.Help;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Tether.Cli.Connecting;
using Tether.Cli.Hosting;
using Tether.Cli.Output;
using Tether.Cli.Parsing;
using Tether.Cli.Proxying;
using Tether.Cli.Serving;
using Tether.FaultProxy;

namespace Tether.Cli.Commands;

/// <summary>
/// <c>tether proxy</c>: a fault-injecting TCP proxy driven by commands on stdin, for trying Tether (or anything else)
/// on a bad network by hand or from a script.
/// </summary>
internal sealed class ProxyCommand : Command
{
    private static readonly IPEndPoint DefaultListen = new(IPAddress.Loopback, 0);

    private readonly Option<IPEndPoint?> _listen = new("--listen", "-l")
    {
        Description = "Address to listen on for clients, HOST:PORT, e.g. 127.0.0.1:7448, [::1]:7448, :7448 (all IPv4 "
            + "interfaces). Port 0 picks a free port (see --port-file). [default: 127.0.0.1:0]",
        HelpName = "host:port",
        CustomParser = result =>
        {
            if (EndPointParser.TryParseListen(result.Tokens.Count > 0 ? result.Tokens[^1].Value : null, out var endPoint, out var error))
            {
                return endPoint;
            }

            result.AddError($"--listen: {error}");
            return null;
        },
    };

    private readonly Option<EndPoint?> _target = new("--target", "-t")
    {
        Description = "Where each client connection is forwarded, HOST:PORT, e.g. 127.0.0.1:7447 or example.com:7447 "
            + "(a tether serve, or any TCP server).",
        HelpName = "host:port",
        Required = true,
        CustomParser = result =>
        {
            if (EndPointParser.TryParseConnect(result.Tokens.Count > 0 ? result.Tokens[^1].Value : null, out var endPoint, out var error))
            {
                return endPoint;
            }

            result.AddError($"--target: {error}");
            return null;
        },
    };

    private readonly Option<int> _dnsAttempts = CliOptions.DnsAttempts();

    private readonly Option<string> _portFile = new("--port-file")
    {
        Description = "Once listening, write the bound port to this file (useful with port 0), so a script can wait for "
            + "it. Removed when the proxy stops.",
        HelpName = "path",
    };

    private readonly Option<bool> _json = new("--json")
    {
        Description = "Reply on stdout with one JSON object per line (listening, fault, reset, refuse, status, help, "
            + "error), each with 'event' and 'ts', instead of 'ok ...' and 'error: ...' lines.",
    };

    public ProxyCommand()
        : base("proxy", "Run a fault-injecting TCP proxy: clients connect to --listen, each connection is forwarded to "
            + "--target, and commands on stdin (listed by 'tether proxy --help') change how traffic flows, for current and "
            + "future connections alike. Each command is answered on stdout ('ok ...' or 'error: ...'). A 'tether: proxy "
            + "HOST:PORT -> TARGET' line goes to stderr once it accepts connections; stdin EOF, Ctrl-C or SIGTERM stops it.")
    {
        Options.Add(_listen);
        Options.Add(_target);
        Options.Add(_dnsAttempts);
        Options.Add(_portFile);
        Options.Add(_json);
        // Shadows the root's recursive --help for this command only, to append the stdin commands.
        Options.Add(new HelpOption { Action = new ProxyHelpAction() });
        SetAction((result, _) => RunAsync(result));
    }

    /// <summary>The listening and target addresses from the parsed options.</summary>
    internal (IPEndPoint Listen, EndPoint Target) BuildOptions(ParseResult result) =>
        (result.GetValue(_listen) ?? DefaultListen, result.GetValue(_target)!);

    private static TcpFaultProxy Start(IPEndPoint listen, EndPoint target)
    {
        try
        {
            return TcpFaultProxy.Start(target, new FaultProxyOptions { ListenEndPoint = listen }, new ProxyWarningLogger(Console.Error));
        }
        catch (SocketException ex)
        {
            var why = ex.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => "the address is already in use",
                SocketError.AddressNotAvailable => "the address is not available on this machine",
                SocketError.AccessDenied => "permission denied",
                _ => ex.Message,
            };
            throw new CliException($"cannot listen on {listen}: {why}", ExitCodes.Failure);
        }
    }

    private async Task<int> RunAsync(ParseResult result)
    {
        var (listen, target) = BuildOptions(result);
        var portFile = result.GetValue(_portFile);
        using var signal = new ShutdownSignal();
        await HostResolver.ResolveAllAsync([target], result.GetValue(_dnsAttempts), message => Console.Error.WriteLine($"tether: {message}"), signal.Stopping).ConfigureAwait(false);
        var proxy = Start(listen, target);
        var wrotePortFile = false;
        await using (proxy.ConfigureAwait(false))
        {
            try
            {
                if (portFile is not null)
                {
                    PortFile.Write(portFile, [proxy.EndPoint]);
                    wrotePortFile = true;
                }

                var replies = new ProxyReplyWriter(Console.Out, result.GetValue(_json));
                replies.Listening(proxy.EndPoint, target);
                await Console.Error.WriteLineAsync($"tether: proxy {proxy.EndPoint} -> {EndPointDisplay.Format(target)}").ConfigureAwait(false);

                using var input = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
                var session = new ProxySession(proxy, replies);
                // A read from the console is not reliably cancellable, so a signal wins the race instead of cancelling it.
                var reading = session.RunAsync(input, signal.Stopping);
                if (await Task.WhenAny(reading, signal.WhenStopping()).ConfigureAwait(false) == reading && reading.IsFaulted)
                {
                    await Console.Error.WriteLineAsync($"tether: reading stdin failed: {reading.Exception!.InnerException!.Message}").ConfigureAwait(false);
                }
            }
            finally
            {
                if (wrotePortFile)
                {
                    PortFile.Delete(portFile!);
                }
            }
        }

        await Console.Error.WriteLineAsync("tether: proxy stopped").ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
