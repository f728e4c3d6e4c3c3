namespace Tether.Bench.Infra;

/// <summary>One Release build the orchestrator runs: where its dll is and how to build it.</summary>
internal sealed record Binary(string Name, string ProjectPath, string DllPath)
{
    public string FullDllPath(string root) => Path.Combine(root, DllPath);
}

/// <summary>
/// Finds the repository and checks that the Release builds a scenario needs exist. The orchestrator builds nothing
/// itself: a missing build is an error naming the exact <c>dotnet build -c Release ...</c> command, and a build
/// older than its sources is a warning with the same command.
/// </summary>
internal static class Binaries
{
    public static readonly Binary Tether = new("tether serve", "src/Tether.Cli/Tether.Cli.csproj", "src/Tether.Cli/bin/Release/net10.0/Tether.Cli.dll");

    public static readonly Binary LoadGen = new("load generator", "bench/Tether.LoadGen/Tether.LoadGen.csproj", "bench/Tether.LoadGen/bin/Release/net10.0/Tether.LoadGen.dll");

    public static Binary Peer(string name) => new(name, $"bench/Peers/{name}/{name}.csproj", $"bench/Peers/{name}/bin/Release/net10.0/{name}.dll");

    /// <summary>The repository root: the nearest folder above the orchestrator's binary (or the current folder) holding Tether.slnx.</summary>
    public static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Tether.slnx")))
                {
                    return directory.FullName;
                }
            }
        }

        throw new BenchException("cannot find the repository (no Tether.slnx above the orchestrator or the current folder); run from the repository");
    }

    /// <summary>Throws when a build is missing (naming the build command); returns warnings for builds older than their sources.</summary>
    public static IReadOnlyList<string> Check(string root, IEnumerable<Binary> needed)
    {
        var binaries = needed.Distinct().ToList();
        var missing = binaries.Where(b => !File.Exists(b.FullDllPath(root))).ToList();
        if (missing.Count > 0)
        {
            throw new BenchException(
                $"missing Release build{(missing.Count > 1 ? "s" : "")}: {string.Join(", ", missing.Select(b => b.DllPath))}. Build with:\n  "
                + BuildCommand(missing));
        }

        var stale = binaries.Where(b => IsStale(root, b)).ToList();
        return stale.Count == 0
            ? []
            : [$"the Release build of {string.Join(", ", stale.Select(b => b.Name))} is older than its sources; to rebuild: {BuildCommand(stale)}"];
    }

    public static string BuildCommand(IEnumerable<Binary> binaries) =>
        string.Join(" && ", binaries.Select(b => $"dotnet build -c Release {b.ProjectPath}"));

    private static bool IsStale(string root, Binary binary)
    {
        var built = File.GetLastWriteTimeUtc(binary.FullDllPath(root));
        var projectDirectory = Path.GetDirectoryName(Path.Combine(root, binary.ProjectPath))!;
        // tether serve is built from src/ as a whole; the load generator from its folder and the libraries (it uses
        // the client); a peer from its folder and the shared peer code.
        var sourceDirectories = binary == Tether ? new[] { Path.Combine(root, "src") }
            : binary == LoadGen ? new[] { projectDirectory, Path.Combine(root, "src", "Tether"), Path.Combine(root, "src", "Tether.Protocol") }
            : new[] { projectDirectory, Path.Combine(root, "bench", "Peers", "Shared") };
        return sourceDirectories.Where(Directory.Exists).Any(directory => NewestSource(directory) > built);
    }

    private static DateTime NewestSource(string directory)
    {
        var newest = DateTime.MinValue;
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true };
        foreach (var file in Directory.EnumerateFiles(directory, "*", options))
        {
            var relative = Path.GetRelativePath(directory, file);
            if (relative.Contains("/bin/", StringComparison.Ordinal) || relative.Contains("/obj/", StringComparison.Ordinal)
                || relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal))
            {
                continue;
            }

            if (file.EndsWith(".cs", StringComparison.Ordinal) || file.EndsWith(".csproj", StringComparison.Ordinal))
            {
                var time = File.GetLastWriteTimeUtc(file);
                if (time > newest)
                {
                    newest = time;
                }
            }
        }

        return newest;
    }
}
