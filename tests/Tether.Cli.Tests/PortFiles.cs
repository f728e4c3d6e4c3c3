using System.Globalization;

namespace Tether.Cli.Tests;

/// <summary>The --port-file paths of a server and a proxy started by a test; deleted with it.</summary>
internal sealed class PortFiles : IDisposable
{
    public string Server { get; } = Path.Combine(Path.GetTempPath(), $"tether-cli-test-{Guid.NewGuid():N}.port");

    public string Proxy { get; } = Path.Combine(Path.GetTempPath(), $"tether-cli-test-{Guid.NewGuid():N}.proxy.port");

    /// <summary>The port a process wrote to <paramref name="path"/> once it listened.</summary>
    public static int Read(string path) => int.Parse(File.ReadAllLines(path)[0], CultureInfo.InvariantCulture);

    public void Dispose()
    {
        File.Delete(Server);
        File.Delete(Proxy);
    }
}
