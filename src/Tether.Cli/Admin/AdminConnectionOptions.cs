using System.CommandLine;

namespace Tether.Cli.Admin;

/// <summary>
/// <c>--admin URL</c> and <c>--api-key-file PATH</c> (or <c>TETHER_API_KEY</c>), shared by the commands that call a
/// server's admin API.
/// </summary>
internal sealed class AdminConnectionOptions
{
    /// <summary>Where a server's admin listener is by default: the loopback address and the documented port.</summary>
    public const string DefaultAdmin = "http://127.0.0.1:7480";

    public const string KeyVariable = "TETHER_API_KEY";

    public Option<string> Admin { get; } = new("--admin")
    {
        Description = $"The server's admin API: a URL or HOST:PORT (default {DefaultAdmin}).",
        HelpName = "url",
        DefaultValueFactory = _ => DefaultAdmin,
    };

    public Option<string> ApiKeyFile { get; } = new("--api-key-file")
    {
        Description = $"File holding the admin API key (its first line); without it, the environment variable {KeyVariable}.",
        HelpName = "path",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Admin);
        command.Options.Add(ApiKeyFile);
    }

    public AdminApiClient CreateClient(ParseResult result) => new(BaseAddress(result.GetValue(Admin)!), Key(result.GetValue(ApiKeyFile)));

    internal static Uri BaseAddress(string text)
    {
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text;
        return Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? new Uri(uri.GetLeftPart(UriPartial.Authority) + "/")
            : throw new CliException($"--admin: '{text}' is not a URL or HOST:PORT (for example {DefaultAdmin})");
    }

    private static string? Key(string? path)
    {
        if (path is null)
        {
            return Environment.GetEnvironmentVariable(KeyVariable) is { Length: > 0 } key ? key.Trim() : null;
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--api-key-file: {FileProblem.Describe(path, ex, "read")}");
        }

        var first = text.Split('\n', 2)[0].Trim();
        return first.Length > 0 ? first : throw new CliException($"--api-key-file: {path} is empty");
    }
}
