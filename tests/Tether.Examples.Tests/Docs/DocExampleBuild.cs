using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Tether.TestSupport;

namespace Tether.Examples.Tests.Docs;

/// <summary>
/// Builds every program and file block of the documentation once, as a reader would paste it: each into its own
/// console project (the <c>dotnet new console</c> defaults, warnings as errors) in a temporary directory, all of them
/// with one <c>dotnet build</c> of a solution holding them.
/// </summary>
public sealed partial class DocExampleBuild : IAsyncLifetime
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    // Outside the repository, so that nothing of its build settings (analyzers, central package versions) reaches
    // the examples: a reader's project has none of them either.
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "tether-doc-examples-" + Guid.NewGuid().ToString("N"));

    private IReadOnlyList<string> _output = [];

    /// <summary>The blocks this fixture builds.</summary>
    public static IEnumerable<CodeBlock> Built => Repository.CodeBlocks.Where(b => b.Kind is CodeBlockKind.Program or CodeBlockKind.File);

    /// <summary>The whole output of <c>dotnet build</c>, for failures that name no example (e.g. a restore error).</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        // Empty, so that MSBuild and the SDK stop looking upwards here; global.json picks the repository's SDK.
        File.WriteAllText(Path.Combine(_directory, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(_directory, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(_directory, "Directory.Packages.props"), "<Project />\n");
        File.Copy(Path.Combine(Repository.Root, "global.json"), Path.Combine(_directory, "global.json"));

        var versions = PackageVersions();
        var projects = new List<string>();
        foreach (var block in Built)
        {
            var name = ProjectName(block);
            var project = Path.Combine(_directory, name);
            Directory.CreateDirectory(project);
            File.WriteAllText(Path.Combine(project, SourceFileName(block)), block.Code);
            File.WriteAllText(Path.Combine(project, name + ".csproj"), ProjectFile(block, versions));
            projects.Add($"  <Project Path=\"{name}/{name}.csproj\" />");
        }

        File.WriteAllText(Path.Combine(_directory, "examples.slnx"), $"<Solution>\n{string.Join('\n', projects)}\n</Solution>\n");

        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = _directory,
            // No build server or compiler server left running after the test; -v:minimal still prints every error.
            ArgumentList = { "build", "examples.slnx", "-c", "Debug", "-nologo", "-v:minimal", "-clp:NoSummary", "-nodeReuse:false", "-p:UseSharedCompilation=false" },
        };
        // Set by `dotnet test` for its own MSBuild; inherited, they would point this build at the wrong SDK files.
        foreach (var variable in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly" })
        {
            start.Environment.Remove(variable);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        await using var build = ChildProcess.Start(start, "dotnet build of the documentation examples");
        await build.WaitForExitAsync(BuildTimeout);
        _output = [.. build.StdoutLines, .. build.StderrLines];
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary directory is not worth failing the run for.
        }

        return Task.CompletedTask;
    }

    /// <summary>True when the block's assembly was built.</summary>
    public bool Compiled(CodeBlock block) =>
        File.Exists(Path.Combine(_directory, ProjectName(block), "bin", "Debug", "net10.0", ProjectName(block) + ".dll"));

    /// <summary>
    /// The compiler's errors for <paramref name="block"/>, each with the Markdown file and line it points at
    /// (<c>README.md:41 (column 7): error CS0246: ...</c>).
    /// </summary>
    public IReadOnlyList<string> ErrorsOf(CodeBlock block)
    {
        var source = Path.Combine(_directory, ProjectName(block), SourceFileName(block));
        var project = Path.Combine(_directory, ProjectName(block)) + Path.DirectorySeparatorChar;
        return
        [
            .. _output
                .Where(line => line.Contains(project, StringComparison.Ordinal) && line.Contains(": error ", StringComparison.Ordinal))
                .Select(line => SourcePosition().Replace(line, m => m.Groups["file"].Value == source
                    ? $"{block.File}:{block.Line + int.Parse(m.Groups["line"].Value, CultureInfo.InvariantCulture)} (column {m.Groups["column"].Value})"
                    : m.Value))
                .Select(line => ProjectSuffix().Replace(line, ""))
                .Distinct(),
        ];
    }

    private static string ProjectName(CodeBlock block) => NotIdentifier().Replace(block.Name, "_");

    private static string SourceFileName(CodeBlock block) => block.Kind == CodeBlockKind.Program ? "Program.cs" : "Example.cs";

    /// <summary>
    /// A console project as <c>dotnet new console</c> makes it, referencing the Tether assemblies the tests were built
    /// with and the packages the block names in its comments.
    /// </summary>
    private static string ProjectFile(CodeBlock block, IReadOnlyDictionary<string, string> versions)
    {
        var tests = AppContext.BaseDirectory;
        // The Tether assemblies are referenced as files, so they bring no package with them: the package that Tether's
        // public API needs (ILoggerFactory) is listed, as the Tether package would bring it.
        var packages = versions.Keys
            // An ASP.NET Core application has the Microsoft.Extensions packages in its shared framework already.
            .Where(_ => !NamesPackage(block.Code, "Tether.Admin"))
            .Where(package => package == "Microsoft.Extensions.Logging.Abstractions" || NamesPackage(block.Code, package)
                || (NamesPackage(block.Code, "Tether.Hosting") && TetherHostingNeeds.Contains(package)))
            .Select(package => $"    <PackageReference Include=\"{package}\" Version=\"{versions[package]}\" />");
        return $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>{(block.Kind == CodeBlockKind.Program ? "Exe" : "Library")}</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <Reference Include="{Path.Combine(tests, "Tether.dll")}" />
                <Reference Include="{Path.Combine(tests, "Tether.Protocol.dll")}" />
                <Reference Include="{Path.Combine(tests, "Tether.Hosting.dll")}" />
                <Reference Include="{Path.Combine(tests, "Tether.Admin.dll")}" />
              </ItemGroup>
              <ItemGroup>
            {(NamesPackage(block.Code, "Tether.Admin") ? "    <FrameworkReference Include=\"Microsoft.AspNetCore.App\" />" : "")}
              </ItemGroup>
              <ItemGroup>
            {string.Join('\n', packages)}
              </ItemGroup>
            </Project>

            """;
    }

    // What the Tether.Hosting package would bring with it (its assembly is referenced as a file here).
    private static readonly string[] TetherHostingNeeds =
        ["Microsoft.Extensions.Hosting.Abstractions", "Microsoft.Extensions.Options.ConfigurationExtensions", "Microsoft.Extensions.Diagnostics.Abstractions"];

    /// <summary>True when a comment line of <paramref name="code"/> names <paramref name="package"/> (whole name).</summary>
    private static bool NamesPackage(string code, string package) =>
        code.Split('\n').Any(line => line.TrimStart().StartsWith("//", StringComparison.Ordinal)
            && Regex.IsMatch(line, $@"(?<![\w.]){Regex.Escape(package)}(?![\w]|\.\w)"));

    /// <summary>The package versions of the repository's Directory.Packages.props, the ones CI restores.</summary>
    private static Dictionary<string, string> PackageVersions() =>
        XDocument.Load(Path.Combine(Repository.Root, "Directory.Packages.props"))
            .Descendants("PackageVersion")
            .ToDictionary(p => (string)p.Attribute("Include")!, p => (string)p.Attribute("Version")!, StringComparer.Ordinal);

    [GeneratedRegex(@"(?<file>/[^(]+\.cs)\((?<line>\d+),(?<column>\d+)\)")]
    private static partial Regex SourcePosition();

    [GeneratedRegex(@"\s*\[[^\]]+\.csproj\]\s*$")]
    private static partial Regex ProjectSuffix();

    [GeneratedRegex(@"[^A-Za-z0-9]")]
    private static partial Regex NotIdentifier();
}
