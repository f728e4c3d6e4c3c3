using System.CommandLine;

namespace Tether.Cli.Commands;

/// <summary><c>tether token</c>: signed client tokens for servers run with <c>--auth-secret-file</c>.</summary>
internal sealed class TokenCommand : Command
{
    public TokenCommand()
        : base("token", "Signed client tokens (HMAC-SHA256) for a server run with --auth-secret-file.")
    {
        Subcommands.Add(new TokenCreateCommand());
    }
}
