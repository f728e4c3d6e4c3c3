using System.Text.RegularExpressions;

namespace Tether.Examples.Tests.Docs;

/// <summary>A C# fenced code block of a Markdown file.</summary>
/// <param name="File">The Markdown file, relative to the repository root (e.g. <c>docs/framings.md</c>).</param>
/// <param name="Line">The 1-based line of the opening fence; the code's first line is the next one.</param>
/// <param name="Kind">What the fence says the block is.</param>
/// <param name="Code">The lines between the fences.</param>
public sealed partial record CodeBlock(string File, int Line, CodeBlockKind Kind, string Code)
{
    /// <summary>How failures name the block: <c>README.md:27</c>.</summary>
    public string Name => $"{File}:{Line}";

    /// <summary>The C# blocks of <paramref name="markdown"/>, read from <paramref name="file"/> (the name to report).</summary>
    public static IEnumerable<CodeBlock> Read(string file, string markdown)
    {
        var lines = markdown.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var open = Fence().Match(lines[i]);
            if (!open.Success)
            {
                continue;
            }

            // Every fence is skipped to its end, so a ``` line inside a non-C# block is never taken for an opening.
            var indent = open.Groups["indent"].Value;
            var start = i;
            var code = new List<string>();
            for (i++; i < lines.Length && lines[i].TrimEnd() != indent + "```"; i++)
            {
                code.Add(lines[i]);
            }

            if (KindOf(open.Groups["info"].Value) is { } kind)
            {
                yield return new CodeBlock(file, start + 1, kind, string.Join('\n', code) + '\n');
            }
        }
    }

    private static CodeBlockKind? KindOf(string info)
    {
        var words = info.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || words[0].ToUpperInvariant() is not ("CSHARP" or "CS" or "C#"))
        {
            return null;
        }

        return words.Contains("fragment") ? CodeBlockKind.Fragment
            : words.Contains("file") ? CodeBlockKind.File
            : words is ["csharp"] ? CodeBlockKind.Program
            : CodeBlockKind.Unmarked;
    }

    [GeneratedRegex(@"^(?<indent>\s*)```(?<info>.*?)\s*$")]
    private static partial Regex Fence();
}
