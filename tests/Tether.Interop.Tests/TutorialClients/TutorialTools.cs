namespace Tether.Interop.Tests.TutorialClients;

/// <summary>Where the tutorial programs (tests/interop/tutorial) and the tools that build and run them are.</summary>
internal static class TutorialTools
{
    /// <summary>Bound on every wait for a program or a compiler: generous, since a loaded machine starts a JVM slowly.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static string? Python3 { get; } = InteropFiles.FindOnPath("python3");

    public static string? Javac { get; } = InteropFiles.FindOnPath("javac");

    public static string? Java { get; } = InteropFiles.FindOnPath("java");

    public static string? Gxx { get; } = InteropFiles.FindOnPath("g++");

    /// <summary>tests/interop/tutorial, found by walking up from the test binaries to the directory holding Tether.slnx.</summary>
    public static string SourceDirectory { get; } = InteropFiles.InRepository("tutorial");
}
