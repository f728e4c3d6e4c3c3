using System.Text.RegularExpressions;

namespace Tether.Interop.Tests.ClientLibraries;

/// <summary>
/// The example of clients/java/README.md as a reader sees it: the first <c>java</c> code block, the class name it
/// must be saved under, and the commands of the first <c>sh</c> block after it.
/// </summary>
internal sealed partial record JavaReadmeExample(string Code, string ClassName, IReadOnlyList<string> Commands)
{
    public static JavaReadmeExample Parse(string readme)
    {
        var code = FencedBlock().Matches(readme).FirstOrDefault(m => m.Groups["lang"].Value == "java")
            ?? throw new InvalidOperationException("README.md has no ```java block");
        var commands = FencedBlock().Matches(readme).FirstOrDefault(m => m.Index > code.Index && m.Groups["lang"].Value == "sh")
            ?? throw new InvalidOperationException("README.md has no ```sh block after its ```java block");
        var className = ClassDeclaration().Match(code.Groups["body"].Value);
        if (!className.Success)
        {
            throw new InvalidOperationException("the README's Java example declares no public class");
        }

        var lines = commands.Groups["body"].Value.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToArray();
        return new JavaReadmeExample(code.Groups["body"].Value, className.Groups[1].Value, lines);
    }

    [GeneratedRegex(@"^```(?<lang>\w+)\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedBlock();

    [GeneratedRegex(@"public\s+class\s+(\w+)")]
    private static partial Regex ClassDeclaration();
}
