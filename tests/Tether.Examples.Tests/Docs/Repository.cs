namespace Tether.Examples.Tests.Docs;

/// <summary>Where the repository is, and the documentation in it whose examples are built.</summary>
internal static class Repository
{
    /// <summary>The directory holding Tether.slnx, found upwards from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>README.md and docs/*.md, relative to <see cref="Root"/>.</summary>
    public static IReadOnlyList<string> MarkdownFiles { get; } =
        ["README.md", .. Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Select(f => Path.GetRelativePath(Root, f)).Order(StringComparer.Ordinal)];

    /// <summary>Every C# block of <see cref="MarkdownFiles"/>, in file order.</summary>
    public static IReadOnlyList<CodeBlock> CodeBlocks { get; } =
        [.. MarkdownFiles.SelectMany(f => CodeBlock.Read(f, File.ReadAllText(Path.Combine(Root, f))))];

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Tether.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Tether.slnx above {AppContext.BaseDirectory}");
    }
}
