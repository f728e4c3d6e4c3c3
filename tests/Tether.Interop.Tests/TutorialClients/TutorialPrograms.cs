using System.Diagnostics;
using Tether.TestSupport;

namespace Tether.Interop.Tests.TutorialClients;

/// <summary>The four tutorial programs each language has under tests/interop/tutorial.</summary>
public enum TutorialProgram
{
    /// <summary>Sends "Hello, world!" and prints the echo.</summary>
    Echo,

    /// <summary>Sends "heartbeat" every second for N seconds (argv) and stays connected.</summary>
    Heartbeat,

    /// <summary>Sends "Hello", then stays silent until the server closes the connection (bound in argv).</summary>
    Silent,

    /// <summary>Connects N times (argv), each time sending "ping i" and reading the echo.</summary>
    Reconnect,
}

/// <summary>How to run one language's tutorial programs.</summary>
public interface ITutorialPrograms
{
    /// <summary>The language, for messages and output labels, e.g. <c>java</c>.</summary>
    string Language { get; }

    /// <summary>The command line of <paramref name="program"/> with <paramref name="args"/> (host, port, then its own).</summary>
    ProcessStartInfo StartInfo(TutorialProgram program, IReadOnlyList<string> args);
}

/// <summary>The Python programs, run from their sources with <c>python3</c>.</summary>
public sealed class PythonTutorialPrograms : ITutorialPrograms
{
    public string Language => "python";

    public ProcessStartInfo StartInfo(TutorialProgram program, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(TutorialTools.Python3 ?? "python3");
        start.Environment["PYTHONUNBUFFERED"] = "1";
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.ArgumentList.Add(Path.Combine(TutorialTools.SourceDirectory, "python", FileName(program)));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    private static string FileName(TutorialProgram program) => program switch
    {
        TutorialProgram.Echo => "echo_client.py",
        TutorialProgram.Heartbeat => "heartbeat_client.py",
        TutorialProgram.Silent => "silent_client.py",
        TutorialProgram.Reconnect => "reconnect_client.py",
        _ => throw new ArgumentOutOfRangeException(nameof(program)),
    };
}

/// <summary>
/// Programs compiled into a temporary directory once per test run (an xunit class fixture: one per test class, and
/// each language has one class), deleted when the class is done.
/// </summary>
public abstract class CompiledTutorialPrograms : ITutorialPrograms, IAsyncLifetime
{
    private DirectoryInfo? _outputDirectory;

    public abstract string Language { get; }

    /// <summary>Where the compiled programs are; only after a successful <see cref="InitializeAsync"/>.</summary>
    protected string OutputDirectory => _outputDirectory?.FullName ?? throw new InvalidOperationException($"the {Language} tutorial programs were not built");

    /// <summary>Whether the compiler (and runtime) are installed; if not, the tests skip and nothing is built.</summary>
    protected abstract bool ToolsAvailable { get; }

    public abstract ProcessStartInfo StartInfo(TutorialProgram program, IReadOnlyList<string> args);

    public async Task InitializeAsync()
    {
        if (!ToolsAvailable)
        {
            return;
        }

        _outputDirectory = Directory.CreateTempSubdirectory($"tether-tutorial-{Language}-");
        await BuildAsync(Path.Combine(TutorialTools.SourceDirectory, Language), _outputDirectory.FullName);
    }

    public Task DisposeAsync()
    {
        try
        {
            _outputDirectory?.Delete(recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }

        return Task.CompletedTask;
    }

    /// <summary>Compiles every program of <paramref name="sourceDirectory"/> into <paramref name="outputDirectory"/>.</summary>
    protected abstract Task BuildAsync(string sourceDirectory, string outputDirectory);

    /// <summary>Runs one compiler command and throws, with its output, unless it succeeds.</summary>
    protected static async Task CompileAsync(ProcessStartInfo start, string what)
    {
        await using var compiler = ChildProcess.Start(start, what, outputLabel: "compiler");
        var exitCode = await compiler.WaitForExitAsync(TutorialTools.Timeout);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{what} failed with exit code {exitCode}{compiler.Describe()}");
        }
    }
}

/// <summary>The Java programs: all compiled with one <c>javac</c> call, each run as <c>java -cp dir ClassName</c>.</summary>
public sealed class JavaTutorialPrograms : CompiledTutorialPrograms
{
    public override string Language => "java";

    protected override bool ToolsAvailable => TutorialTools.Javac is not null && TutorialTools.Java is not null;

    public override ProcessStartInfo StartInfo(TutorialProgram program, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(TutorialTools.Java ?? "java");

        // No hsperfdata file in /tmp (a killed JVM would leave it behind); faster start-up for these tiny programs.
        foreach (var option in new[] { "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", OutputDirectory })
        {
            start.ArgumentList.Add(option);
        }

        start.ArgumentList.Add(program + "Client");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    protected override Task BuildAsync(string sourceDirectory, string outputDirectory)
    {
        var start = new ProcessStartInfo(TutorialTools.Javac!);
        start.ArgumentList.Add("-J-XX:-UsePerfData");
        start.ArgumentList.Add("-d");
        start.ArgumentList.Add(outputDirectory);
        foreach (var source in Directory.GetFiles(sourceDirectory, "*.java").Order(StringComparer.Ordinal))
        {
            start.ArgumentList.Add(source);
        }

        return CompileAsync(start, "javac");
    }
}

/// <summary>The C++ programs: each <c>.cpp</c> compiled with <c>g++ -std=c++17</c> (in parallel) into its own binary.</summary>
public sealed class CppTutorialPrograms : CompiledTutorialPrograms
{
    public override string Language => "cpp";

    protected override bool ToolsAvailable => TutorialTools.Gxx is not null;

    public override ProcessStartInfo StartInfo(TutorialProgram program, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(Path.Combine(OutputDirectory, BinaryName(program)));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    protected override Task BuildAsync(string sourceDirectory, string outputDirectory) =>
        Task.WhenAll(Enum.GetValues<TutorialProgram>().Select(program =>
        {
            var source = Path.Combine(sourceDirectory, BinaryName(program) + ".cpp");
            var start = new ProcessStartInfo(TutorialTools.Gxx!);
            foreach (var arg in new[] { "-std=c++17", "-Wall", "-Wextra", "-o", Path.Combine(outputDirectory, BinaryName(program)), source })
            {
                start.ArgumentList.Add(arg);
            }

            return CompileAsync(start, $"g++ {Path.GetFileName(source)}");
        }));

    private static string BinaryName(TutorialProgram program) => program switch
    {
        TutorialProgram.Echo => "echo_client",
        TutorialProgram.Heartbeat => "heartbeat_client",
        TutorialProgram.Silent => "silent_client",
        TutorialProgram.Reconnect => "reconnect_client",
        _ => throw new ArgumentOutOfRangeException(nameof(program)),
    };
}
