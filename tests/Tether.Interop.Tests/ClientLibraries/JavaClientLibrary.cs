using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Tether.Server;
using Tether.TestSupport;

namespace Tether.Interop.Tests.ClientLibraries;

/// <summary>Where the Java client (clients/java) and its programs are, and how the tests start them.</summary>
internal static class JavaClientLibrary
{
    /// <summary>Bound on every wait for a Java program: its first run compiles the library on a possibly busy machine.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <summary>The first tool the Java client needs that is not on PATH, or null when all are there.</summary>
    public static string? MissingTool { get; } = new[] { "java", "javac", "bash", "flock" }.FirstOrDefault(t => InteropFiles.FindOnPath(t) is null);

    /// <summary>The repository root (the directory holding Tether.slnx).</summary>
    public static string RepositoryRoot { get; } = Path.GetFullPath(Path.Combine(InteropFiles.InRepository(), "..", ".."));

    public static string ClientDirectory { get; } = Path.Combine(RepositoryRoot, "clients", "java");

    /// <summary>Starts <c>clients/java/example</c> with <paramref name="args"/>; stdin is redirected for the test to write.</summary>
    public static ChildProcess StartExample(params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(ClientDirectory, "example")) { RedirectStandardInput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return ChildProcess.Start(start, "the Java example program", outputLabel: "java example");
    }

    /// <summary>Starts one of the seed programs rewritten on the library (tests/interop/library/java).</summary>
    public static ChildProcess StartLibraryProgram(string program, params string[] args)
    {
        var start = new ProcessStartInfo(InteropFiles.InRepository("library", "java", "run"));
        start.ArgumentList.Add(program);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return ChildProcess.Start(start, $"the Java {program}", outputLabel: program);
    }

    /// <summary>An in-process echo server on 127.0.0.1:<paramref name="port"/> (0 picks a free port).</summary>
    public static async Task<(TetherServer Server, EchoHandler Handler)> StartEchoServerAsync(int port)
    {
        var options = new TetherServerOptions { ServerId = "java-client-test" };
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, port));
        var handler = new EchoHandler();
        var server = new TetherServer(options, handler);
        await server.StartAsync();
        return (server, handler);
    }

    /// <summary>The example's stdout lines as JSON events.</summary>
    public static IReadOnlyList<JsonElement> Events(ChildProcess process)
    {
        var events = new List<JsonElement>();
        foreach (var line in process.StdoutLines)
        {
            using var doc = JsonDocument.Parse(line);
            events.Add(doc.RootElement.Clone());
        }

        return events;
    }

    public static string Name(JsonElement e) => e.GetProperty("event").GetString()!;
}
