using System.CommandLine;
using Tether.Authentication;
using Tether.Cli.Auth;

namespace Tether.Cli.Commands;

/// <summary><c>tether token create</c>: prints a token carrying a client id and an expiry.</summary>
internal sealed class TokenCreateCommand : Command
{
    private readonly Option<string> _secretFile = new("--secret-file")
    {
        Description = "File holding the secret the server checks tokens with (at least 16 bytes; trailing whitespace is ignored).",
        HelpName = "path",
        Required = true,
    };

    private readonly Option<string> _clientId = new("--client-id")
    {
        Description = "Client id the token carries; a server checking tokens gives the connection this id, whatever the client claims.",
        HelpName = "id",
        Required = true,
    };

    private readonly Option<TimeSpan?> _ttl = CliOptions.Duration("--ttl", "How long the token is valid from now.", TimeSpan.FromHours(24));

    public TokenCreateCommand()
        : base("create", "Print a signed token for one client id on stdout, e.g. tether token create --secret-file secret "
            + "--client-id sensor-42 --ttl 1h; then tether connect --token TOKEN.")
    {
        Options.Add(_secretFile);
        Options.Add(_clientId);
        Options.Add(_ttl);
        SetAction((result, _) =>
        {
            Console.Out.WriteLine(Create(result, TimeProvider.System));
            return Task.FromResult(ExitCodes.Success);
        });
    }

    internal string Create(ParseResult result, TimeProvider time)
    {
        var secret = SecretFile.Read(result.GetValue(_secretFile)!, "--secret-file");
        var clientId = result.GetValue(_clientId)!;
        try
        {
            return SignedToken.Create(secret, clientId, time.GetUtcNow() + (result.GetValue(_ttl) ?? TimeSpan.FromHours(24)));
        }
        catch (ArgumentException ex)
        {
            throw new CliException($"--client-id: {ex.Message.Split(" (Parameter")[0]}");
        }
    }
}
