namespace Tether.Interop.Tests;

/// <summary>Finds the programs these tests run: tools on PATH, and files under the repository's tests/interop.</summary>
internal static class InteropFiles
{
    /// <summary>The full path of <paramref name="name"/> on PATH, or null when it is not installed.</summary>
    public static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var candidate in new[] { Path.Combine(dir, name), Path.Combine(dir, name + ".exe") })
            {
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>tests/interop/<paramref name="relative"/>, found by walking up from the test binaries to Tether.slnx.</summary>
    public static string InRepository(params string[] relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tether.slnx")))
            {
                return Path.Combine([dir.FullName, "tests", "interop", .. relative]);
            }
        }

        throw new DirectoryNotFoundException($"Tether.slnx not found above {AppContext.BaseDirectory}; cannot locate tests/interop/{string.Join('/', relative)}");
    }
}
