using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tether.Server;
using Tether.TestSupport;

namespace Tether.Interop.Tests.ClientLibraries;

/// <summary>Builds and starts the programs of the C++ client (clients/cpp and tests/interop/library/cpp).</summary>
internal static partial class CppClientLibrary
{
    /// <summary>Bound on a program run; building from scratch on a loaded machine takes longer (<see cref="BuildTimeout"/>).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    private static readonly Lazy<Task<string>> Build = new(BuildProgramsAsync);

    public static string RepositoryRoot { get; } = Path.GetFullPath(Path.Combine(InteropFiles.InRepository(), "..", ".."));

    public static string ClientDirectory { get; } = Path.Combine(RepositoryRoot, "clients", "cpp");

    /// <summary>The directory holding the built example, heartbeat and reconnect programs; built once per test run.</summary>
    public static Task<string> ProgramDirectoryAsync() => Build.Value;

    /// <summary>The example program through its script, with stdin redirected.</summary>
    public static ChildProcess StartExample(params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(ClientDirectory, "example")) { RedirectStandardInput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return ChildProcess.Start(start, "the C++ example", outputLabel: "cpp");
    }

    public static async Task<ChildProcess> StartProgramAsync(string name, params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(await ProgramDirectoryAsync(), name));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return ChildProcess.Start(start, $"the C++ {name}", outputLabel: "cpp");
    }

    /// <summary>An echo server on 127.0.0.1:<paramref name="port"/> (0: any free port).</summary>
    public static async Task<(TetherServer Server, EchoHandler Handler)> StartEchoServerAsync(int port)
    {
        var options = new TetherServerOptions { ServerId = "cpp-client-test" };
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, port));
        var handler = new EchoHandler();
        var server = new TetherServer(options, handler);
        await server.StartAsync();
        return (server, handler);
    }

    /// <summary>The example's stdout lines as JSON events.</summary>
    public static IReadOnlyList<JsonElement> Events(ChildProcess process) =>
        [.. process.StdoutLines.Select(line =>
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.Clone();
        })];

    public static string Name(JsonElement e) => e.GetProperty("event").GetString()!;

    /// <summary>The README's first <c>cpp</c> block and the commands of the first <c>sh</c> block after it.</summary>
    public static (string Code, IReadOnlyList<string> Commands) ReadmeExample(string readme)
    {
        var code = CppBlock().Match(readme);
        Assert.True(code.Success, "clients/cpp/README.md has no ```cpp block");
        var commands = ShBlock().Match(readme, code.Index + code.Length);
        Assert.True(commands.Success, "clients/cpp/README.md has no ```sh block after its ```cpp block");
        return (code.Groups[1].Value, [.. commands.Groups[1].Value.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0)]);
    }

    private static async Task<string> BuildProgramsAsync()
    {
        var start = new ProcessStartInfo(InteropFiles.InRepository("library", "cpp", "build"));
        await using var build = ChildProcess.Start(start, "the C++ build", outputLabel: "build");
        var exitCode = await build.WaitForExitAsync(BuildTimeout);
        Assert.True(exitCode == 0, $"building the C++ client failed with exit code {exitCode}{build.Describe()}");
        return build.StdoutLines[^1];
    }

    [GeneratedRegex(@"```cpp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CppBlock();

    [GeneratedRegex(@"```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShBlock();
}
