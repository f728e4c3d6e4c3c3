using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Tether.Cli.Commands;

namespace Tether.Cli;

/// <summary>
/// The command tree and the one place where failures become a single <c>tether: ...</c> line on stderr and an exit
/// code: nothing below this prints a stack trace.
/// </summary>
internal static class CliApp
{
    // A plain Command named "tether" rather than RootCommand, whose name comes from the executable: that is
    // "Tether.Cli" under "dotnet run" or "dotnet Tether.Cli.dll", and help should show the installed command name.
    public static Command CreateRootCommand() => new("tether", "Long-lived TCP connections with heartbeats, reconnects and graceful shutdown. "
        + "Exit codes: 0 success, 1 invalid command line, 2 failure (cannot listen, cannot connect or resolve a host, closed for good, a soak that lost messages), "
        + "3 tether connect closed with lines the server never acknowledged, 70 internal error.")
    {
        new HelpOption(),
        new VersionOption(),
        new ServeCommand(),
        new ConnectCommand(),
        new ProxyCommand(),
        new SoakCommand(),
        new TokenCommand(),
        new CertCommand(),
        new PushCommand(),
        BroadcastCommand.Broadcast(),
        BroadcastCommand.GroupPush(),
        new ClientsCommand(),
        new KickCommand(),
        new ConformanceCommand(),
    };

    public static async Task<int> RunAsync(string[] args, TextWriter errors)
    {
        var parse = CreateRootCommand().Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            await errors.WriteLineAsync(DescribeParseErrors(parse)).ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration
        {
            // Exceptions are turned into one line below; the default handler would print a stack trace.
            EnableDefaultExceptionHandler = false,
            // Commands handle Ctrl-C and SIGTERM themselves (graceful stop, second signal aborts); the built-in
            // handling would cancel and then force an exit after a fixed timeout, cutting a drain short.
            ProcessTerminationTimeout = null,
        };
        try
        {
            return await parse.InvokeAsync(configuration).ConfigureAwait(false);
        }
        catch (CliException ex)
        {
            return await FailAsync(errors, ex.Message, ex.ExitCode).ConfigureAwait(false);
        }
        catch (TetherException ex)
        {
            return await FailAsync(errors, ex.Message, ExitCodes.Failure).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            // The library validates option combinations the parser cannot see (e.g. limits that depend on each other).
            return await FailAsync(errors, ex.Message, ExitCodes.Usage).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var detail = Environment.GetEnvironmentVariable("TETHER_DEBUG") is { Length: > 0 } ? ex.ToString() : $"{ex.GetType().Name}: {ex.Message} (set TETHER_DEBUG=1 for details)";
            return await FailAsync(errors, $"unexpected error: {detail}", ExitCodes.Internal).ConfigureAwait(false);
        }
    }

    /// <summary>All parse errors on one line, with the help command for the (sub)command that failed.</summary>
    internal static string DescribeParseErrors(ParseResult parse)
    {
        var messages = parse.Errors.Select(e => Rephrase(e.Message).TrimEnd('.')).Distinct();
        return $"tether: {string.Join("; ", messages)} (see '{CommandPath(parse.CommandResult)} --help')";
    }

    /// <summary>The full path of a command as typed, e.g. <c>tether token create</c>, not just its own name.</summary>
    internal static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? result = command; result is not null; result = result.Parent)
        {
            if (result is CommandResult { Command: var c })
            {
                names.Add(c.Name);
            }
        }

        names.Reverse();
        // The root is named "tether" already; a root named after the executable still prints as the command.
        names[0] = "tether";
        return string.Join(' ', names);
    }

    /// <summary>An unknown option, the parser's "Unrecognized command or argument '--x'", said the way getopt says it.</summary>
    private static string Rephrase(string message)
    {
        const string Unrecognized = "Unrecognized command or argument '-";
        return message.StartsWith(Unrecognized, StringComparison.Ordinal)
            ? $"unrecognized option '{message[(Unrecognized.Length - 1)..].TrimEnd('.').TrimEnd('\'')}'"
            : message;
    }

    private static async Task<int> FailAsync(TextWriter errors, string message, int exitCode)
    {
        await errors.WriteLineAsync($"tether: {message}").ConfigureAwait(false);
        return exitCode;
    }
}
