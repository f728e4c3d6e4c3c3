namespace Tether.Examples.Tests.Docs;

/// <summary>The C# examples of README.md and docs/*.md compile as pasted (issue 15).</summary>
public sealed class DocExampleTests(DocExampleBuild build) : IClassFixture<DocExampleBuild>
{
    public static TheoryData<string> BuiltBlocks => [.. DocExampleBuild.Built.Select(b => b.Name)];

    [Theory]
    [MemberData(nameof(BuiltBlocks))]
    public void Example_compiles_as_pasted(string name)
    {
        var block = Repository.CodeBlocks.Single(b => b.Name == name);

        var errors = build.ErrorsOf(block);

        Assert.True(errors.Count == 0, $"{name} does not compile as pasted:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
        Assert.True(build.Compiled(block), $"{name} was not built:{Environment.NewLine}{build.Output}");
    }

    [Fact]
    public void Every_csharp_block_is_a_program_a_file_or_a_marked_fragment()
    {
        var unmarked = Repository.CodeBlocks.Where(b => b.Kind == CodeBlockKind.Unmarked).Select(b => b.Name);

        Assert.True(
            !unmarked.Any(),
            $"use ```csharp (a program), ```csharp file (a whole file) or ```csharp fragment: {string.Join(", ", unmarked)}");
    }

    [Fact]
    public void The_readme_shows_a_server_and_a_client_program()
    {
        // Guards the extraction itself: a change to the fences must not make every example silently untested.
        Assert.True(Repository.CodeBlocks.Count(b => b.File == "README.md" && b.Kind == CodeBlockKind.Program) >= 2);
    }
}
