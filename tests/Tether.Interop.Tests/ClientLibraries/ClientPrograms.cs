using System.Diagnostics;

namespace Tether.Interop.Tests.ClientLibraries;

/// <summary>
/// Finds and starts the client programs that follow the example-program contract of <c>tether connect --json</c>
/// (options, endpoints, stdin lines as messages, JSON events on stdout): the C# one is the built CLI, every other
/// language's is the executable script <c>clients/LANGUAGE/example</c>, which builds what it needs. Also starts the
/// CLI's other commands, such as <c>tether serve</c>.
/// </summary>
internal static class ClientPrograms
{
    public const string CSharp = "csharp";

    /// <summary>The CLI's assembly, copied next to the tests by the project reference.</summary>
    public static string CliAssembly { get; } = Path.Combine(AppContext.BaseDirectory, "Tether.Cli.dll");

    /// <summary>The directory holding Tether.slnx, found by walking up from the test binaries.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The CLI (<c>dotnet Tether.Cli.dll</c>) with <paramref name="arguments"/>, e.g. <c>serve ...</c>.</summary>
    public static ProcessStartInfo Cli(IEnumerable<string> arguments)
    {
        if (!File.Exists(CliAssembly))
        {
            throw new FileNotFoundException($"the CLI {CliAssembly} is missing: build tests/Tether.Interop.Tests, which references src/Tether.Cli", CliAssembly);
        }

        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
        start.ArgumentList.Add(CliAssembly);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    /// <summary>
    /// The client program of <paramref name="language"/> with <paramref name="arguments"/> (options and endpoints), stdin
    /// redirected for the messages.
    /// </summary>
    /// <exception cref="FileNotFoundException">The language has no executable <c>clients/LANGUAGE/example</c>.</exception>
    public static ProcessStartInfo Client(string language, IEnumerable<string> arguments)
    {
        var start = language == CSharp ? Cli(["connect", "--json", .. arguments]) : Example(language, arguments);
        start.RedirectStandardInput = true;
        return start;
    }

    /// <summary><c>clients/LANGUAGE/example</c>, which must exist and be executable: a missing one is a failure.</summary>
    public static string ExampleScript(string language)
    {
        var script = Path.Combine(RepositoryRoot, "clients", language, "example");
        if (Directory.Exists(script))
        {
            throw new FileNotFoundException($"the {language} client's clients/{language}/example is a directory: it must be the executable script that builds and runs the example program (the tether connect --json contract)", script);
        }

        if (!File.Exists(script))
        {
            throw new FileNotFoundException($"the {language} client has no example program: clients/{language}/example does not exist (every client library provides one, following the tether connect --json contract)", script);
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(script) & UnixFileMode.UserExecute) == 0)
        {
            throw new FileNotFoundException($"clients/{language}/example is not executable (chmod +x, and in git: git update-index --chmod=+x)", script);
        }

        return script;
    }

    private static ProcessStartInfo Example(string language, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(ExampleScript(language))
        {
            WorkingDirectory = RepositoryRoot,
        };

        // Python writes no caches into the repository and flushes each event line without being asked to.
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.Environment["PYTHONUNBUFFERED"] = "1";
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tether.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"Tether.slnx not found above {AppContext.BaseDirectory}; cannot locate clients/");
    }
}
