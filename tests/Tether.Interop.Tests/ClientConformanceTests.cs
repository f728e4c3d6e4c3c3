using Tether.Interop.Tests.ClientLibraries;
using Tether.TestSupport;

namespace Tether.Interop.Tests;

/// <summary>
/// <c>tether conformance client -- clients/LANGUAGE/example</c>: every client library's example program passes every
/// client scenario of docs/conformance-scenarios.json, as tether connect does. A missing example script is a failure,
/// not a skip: each client is part of the project; a missing toolchain (python3, javac, cmake) skips.
/// </summary>
public sealed class ClientConformanceTests
{
    // The first run of an example builds it (javac, cmake) before the scenarios start.
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    // Skipped (with the reason) when the language's toolchain is missing, as the other interop tests are.
    [PythonClientFact]
    public Task The_python_example_program_passes_every_client_scenario() => PassesEveryClientScenarioAsync("python");

    [JavaClientFact]
    public Task The_java_example_program_passes_every_client_scenario() => PassesEveryClientScenarioAsync("java");

    [CppClientFact]
    public Task The_cpp_example_program_passes_every_client_scenario() => PassesEveryClientScenarioAsync("cpp");

    private static async Task PassesEveryClientScenarioAsync(string language)
    {
        var script = Path.Combine(ClientPrograms.RepositoryRoot, "clients", language, "example");
        Assert.True(File.Exists(script), $"clients/{language}/example is missing: every client has an example program (see docs/conformance.md)");

        var start = ClientPrograms.Cli(["conformance", "client", "--timeout-scale", "2", "--", script]);
        start.RedirectStandardInput = true;

        await using var run = ChildProcess.Start(start, $"tether conformance client ({language})");
        var exitCode = await run.WaitForExitAsync(RunTimeout);

        Assert.True(exitCode == 0, $"exit code {exitCode}{run.Describe()}");
        Assert.Matches(@"^conformance: \d+ passed, 0 failed$", run.StdoutLines[^1]);
    }
}
