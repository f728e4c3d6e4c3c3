using System.CommandLine;
using System.Globalization;
using Tether.Cli.Conformance;
using Tether.Cli.Hosting;
using Tether.Cli.Parsing;

namespace Tether.Cli.Commands;

/// <summary>
/// <c>tether conformance server HOST:PORT</c> and <c>tether conformance client -- COMMAND...</c>: play the scenario
/// vectors of docs/conformance-scenarios.json against a server or a client program (docs/conformance.md).
/// </summary>
internal sealed class ConformanceCommand : Command
{
    public ConformanceCommand()
        : base("conformance", "Check a Tether server or client implementation against the scenario vectors of docs/conformance-scenarios.json "
            + "(scripted exchanges with timing, see docs/conformance.md). Prints one line per scenario and a summary; exit code 0 all passed, 1 some failed, 2 the run was impossible.")
    {
        Subcommands.Add(new RoleCommand(ScenarioRole.Server));
        Subcommands.Add(new RoleCommand(ScenarioRole.Client));
    }

    private sealed class RoleCommand : Command
    {
        private readonly ScenarioRole _role;
        private readonly Argument<string?> _server = new("host:port")
        {
            Description = "The server to check.",
            Arity = ArgumentArity.ZeroOrOne,
        };

        private readonly Argument<string[]> _command = new("command")
        {
            Description = "The client program and its own arguments, after --.",
            Arity = ArgumentArity.ZeroOrMore,
        };

        private readonly Option<bool> _list = new("--list") { Description = "List the scenarios (name and what each checks) instead of running them." };

        private readonly Option<string> _only = new("--only")
        {
            Description = "Run only these scenarios (comma-separated names).",
            HelpName = "names",
        };

        private readonly Option<bool> _trace = new("--trace") { Description = "Write every frame sent and received, and the client program's events, to stderr." };

        private readonly Option<bool> _json = new("--json") { Description = "One JSON object per scenario (scenario, passed, failure, ms), then a summary object." };

        private readonly Option<double> _timeoutScale = new("--timeout-scale")
        {
            Description = "Multiply every upper time limit of the scenarios by this factor, for slow machines (lower limits stay).",
            HelpName = "x",
            DefaultValueFactory = _ => 1,
        };

        private readonly Option<string> _scenarios = new("--scenarios")
        {
            Description = "Play this scenario file instead of the built-in one (same format, see docs/conformance.md).",
            HelpName = "path",
        };

        private readonly Option<TimeSpan?> _handshakeTimeout = CliOptions.Duration(
            "--handshake-timeout", "The server's handshake timeout: the handshake-timeout scenario expects CLOSE 1005 after this.", TimeSpan.FromSeconds(10));

        public RoleCommand(ScenarioRole role)
            : base(
                role == ScenarioRole.Server ? "server" : "client",
                role == ScenarioRole.Server
                    ? "Check the server at HOST:PORT (it must echo each message back to its sender, like tether serve), e.g. tether conformance server 127.0.0.1:7447 --handshake-timeout 1s."
                    : "Play the server's side against a client program: for each scenario start COMMAND ARGS... <scenario options> 127.0.0.1:PORT (stdin lines are messages, JSON events on stdout, like tether connect --json), e.g. tether conformance client -- tether connect --json.")
        {
            _role = role;
            Arguments.Add(role == ScenarioRole.Server ? _server : _command);
            Options.Add(_list);
            Options.Add(_only);
            Options.Add(_json);
            Options.Add(_trace);
            Options.Add(_timeoutScale);
            Options.Add(_scenarios);
            if (role == ScenarioRole.Server)
            {
                Options.Add(_handshakeTimeout);
            }

            SetAction(RunAsync);
        }

        private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
        {
            IReadOnlyList<Scenario> all;
            try
            {
                all = result.GetValue(_scenarios) is { } path ? ScenarioFile.Load(path) : ScenarioFile.LoadEmbedded();
            }
            catch (ScenarioFileException ex)
            {
                throw new CliException(ex.Message, ExitCodes.Failure);
            }

            var scenarios = Select(all.Where(s => s.Role == _role).ToList(), result.GetValue(_only));
            if (result.GetValue(_list))
            {
                foreach (var scenario in scenarios)
                {
                    await Console.Out.WriteLineAsync($"{scenario.Name}: {scenario.Description}").ConfigureAwait(false);
                }

                return ExitCodes.Success;
            }

            var scale = result.GetValue(_timeoutScale);
            if (scale is <= 0 or > 100 || double.IsNaN(scale))
            {
                throw new CliException($"--timeout-scale: {scale.ToString(CultureInfo.InvariantCulture)} is not a factor from 0 to 100");
            }

            var settings = Settings(result, scale);

            // Ctrl-C or SIGTERM ends the scenario being played, which kills the client program it started.
            using var signal = new ShutdownSignal();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, signal.Stopping);
            try
            {
                return await new ConformanceRunner(settings, Console.Out, result.GetValue(_json)).RunAsync(scenarios, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                throw new CliException("interrupted", ExitCodes.Failure);
            }
            catch (ConformanceRunException ex)
            {
                throw new CliException(ex.Message, ExitCodes.Failure);
            }
            catch (ScenarioFileException ex)
            {
                throw new CliException($"scenario file: {ex.Message}", ExitCodes.Failure);
            }
        }

        private RunSettings Settings(ParseResult result, double scale)
        {
            if (_role == ScenarioRole.Client)
            {
                var command = result.GetValue(_command) ?? [];
                if (command.Length == 0)
                {
                    throw new CliException("the client program is missing (tether conformance client -- COMMAND [ARGS...])");
                }

                return new RunSettings { Command = command, TimeoutScale = scale, Trace = Trace(result) };
            }

            var target = result.GetValue(_server) ?? throw new CliException("the server's HOST:PORT is missing (tether conformance server HOST:PORT)");
            if (!EndPointParser.TryParse(target, out var hostPort, out var error))
            {
                throw new CliException($"{target}: {error}");
            }

            return new RunSettings
            {
                TargetHost = hostPort!.Address?.ToString() ?? hostPort.Host,
                TargetPort = hostPort.Port,
                HandshakeTimeout = result.GetValue(_handshakeTimeout) ?? TimeSpan.FromSeconds(10),
                TimeoutScale = scale,
                Trace = Trace(result),
            };
        }

        private Action<string>? Trace(ParseResult result) => result.GetValue(_trace)
            ? line =>
            {
                lock (_trace)
                {
                    Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
                }
            }
        : null;

        private static List<Scenario> Select(List<Scenario> scenarios, string? only)
        {
            if (only is null)
            {
                return scenarios;
            }

            var names = only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var unknown = names.Where(n => scenarios.All(s => s.Name != n)).ToList();
            if (unknown.Count > 0)
            {
                throw new CliException($"--only: no scenario named {string.Join(", ", unknown)} (see --list)");
            }

            return scenarios.Where(s => names.Contains(s.Name)).ToList();
        }
    }
}
