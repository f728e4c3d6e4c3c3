using System.Globalization;
using System.Net;

namespace Tether.Cli.Serving;

/// <summary>
/// The bound ports, one per line in <c>--listen</c> order, so a script that listened on port 0 can find the server.
/// Written whole or not at all, so a reader never sees half a file.
/// </summary>
internal static class PortFile
{
    public static void Write(string path, IEnumerable<IPEndPoint> endPoints)
    {
        var content = string.Concat(endPoints.Select(e => e.Port.ToString(CultureInfo.InvariantCulture) + "\n"));
        var full = Path.GetFullPath(path);
        var temporary = full + ".tmp";
        try
        {
            File.WriteAllText(temporary, content);
            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--port-file: {FileProblem.Describe(path, ex, "write")}", ExitCodes.Failure);
        }
    }

    /// <summary>Best effort: a stale file would point the next script at a dead server.</summary>
    public static void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
