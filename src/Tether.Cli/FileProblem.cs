namespace Tether.Cli;

/// <summary>
/// What is wrong with a file named on the command line, in a few words with its path ("'x' is a directory",
/// "'x' not found"), instead of the runtime's text: .NET reports a directory as "Access to the path is denied".
/// </summary>
internal static class FileProblem
{
    /// <summary>Throws a one-line <see cref="CliException"/> unless <paramref name="path"/> is a file that exists.</summary>
    public static void RequireFile(string path, string option)
    {
        if (Directory.Exists(path))
        {
            throw new CliException($"{option}: '{path}' is a directory, not a file");
        }

        if (!File.Exists(path))
        {
            throw new CliException($"{option}: '{path}' not found");
        }
    }

    /// <summary>Why reading or writing (<paramref name="verb"/>) <paramref name="path"/> failed with <paramref name="error"/>.</summary>
    public static string Describe(string path, Exception error, string verb)
    {
        if (Directory.Exists(path))
        {
            return $"'{path}' is a directory, not a file";
        }

        return error switch
        {
            FileNotFoundException => $"'{path}' not found",
            DirectoryNotFoundException => $"cannot {verb} '{path}': no directory '{Path.GetDirectoryName(Path.GetFullPath(path))}'",
            UnauthorizedAccessException => $"cannot {verb} '{path}': permission denied",
            _ => $"cannot {verb} '{path}': {error.Message.Split('\n')[0].Trim()}",
        };
    }
}
