using System.CommandLine;
using System.Text;
using Tether.Bench.Cli;
using Tether.Bench.Infra;

Console.OutputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
var parse = Commands.Create().Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors.Select(e => e.Message).Distinct())
    {
        await Console.Error.WriteLineAsync($"tether-bench: {error}").ConfigureAwait(false);
    }

    await Console.Error.WriteLineAsync("tether-bench: see --help").ConfigureAwait(false);
    return Runner.ExitUsage;
}

var configuration = new InvocationConfiguration
{
    // The runner handles Ctrl-C and SIGTERM itself (stop the children, then exit).
    ProcessTerminationTimeout = null,
    EnableDefaultExceptionHandler = false,
};
try
{
    return await parse.InvokeAsync(configuration).ConfigureAwait(false);
}
catch (UsageException ex)
{
    await Console.Error.WriteLineAsync($"tether-bench: {ex.Message}").ConfigureAwait(false);
    return Runner.ExitUsage;
}
catch (BenchException ex)
{
    ChildProcess.KillAll();
    await Console.Error.WriteLineAsync($"tether-bench: {ex.Message}").ConfigureAwait(false);
    return Runner.ExitFailure;
}
catch (Exception ex)
{
    ChildProcess.KillAll();
    await Console.Error.WriteLineAsync($"tether-bench: unexpected error: {ex}").ConfigureAwait(false);
    return Runner.ExitFailure;
}
