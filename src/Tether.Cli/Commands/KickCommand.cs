using System.CommandLine;
using System.Globalization;
using Tether.Cli.Admin;

namespace Tether.Cli.Commands;

/// <summary><c>tether kick CLIENT_ID</c>: disconnects a client through a server's admin API.</summary>
internal sealed class KickCommand : Command
{
    private readonly AdminConnectionOptions _admin = new();
    private readonly Argument<string> _clientId = new("client-id") { Description = "The client id to disconnect." };

    private readonly Option<int> _code = new("--code")
    {
        Description = "The close code sent (1000 to 4999; default 1000, normal).",
        HelpName = "n",
        DefaultValueFactory = _ => 1000,
    };

    private readonly Option<string> _reason = new("--reason")
    {
        Description = "The reason sent with the close (up to 200 characters).",
        HelpName = "text",
    };

    public KickCommand()
        : base("kick", "Disconnect a client (wherever it is connected in a cluster) through a server's admin API, e.g. tether kick sensor-42 --reason 'firmware update' --api-key-file key. "
            + "Its session, if any, stays: a client that reconnects resumes it.")
    {
        Arguments.Add(_clientId);
        Options.Add(_code);
        Options.Add(_reason);
        _admin.AddTo(this);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var clientId = result.GetValue(_clientId)!;
        var code = result.GetValue(_code);
        if (code is < 1000 or > 4999)
        {
            throw new CliException($"--code: {code} is not a close code from 1000 to 4999");
        }

        var path = $"api/clients/{Uri.EscapeDataString(clientId)}?code={code.ToString(CultureInfo.InvariantCulture)}";
        if (result.GetValue(_reason) is { } reason)
        {
            path += "&reason=" + Uri.EscapeDataString(reason);
        }

        using var client = _admin.CreateClient(result);
        await client.SendAsync(HttpMethod.Delete, path, json: null, cancellationToken).ConfigureAwait(false);
        await Console.Out.WriteLineAsync($"disconnected: {clientId} (code {code})").ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
