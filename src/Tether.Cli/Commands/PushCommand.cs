using System.CommandLine;
using Tether.Cli.Admin;

namespace Tether.Cli.Commands;

/// <summary><c>tether push CLIENT_ID TEXT</c>: pushes one message to a client id through a server's admin API.</summary>
internal sealed class PushCommand : Command
{
    private readonly AdminConnectionOptions _admin = new();
    private readonly Argument<string> _clientId = new("client-id") { Description = "The client id to push to." };
    private readonly Argument<string> _text = new("text") { Description = "The message, sent as UTF-8." };
    private readonly Option<bool> _reliable = new("--reliable") { Description = "Keep it in the client's session: delivered after a reconnect (refused for a client without a session)." };
    private readonly Option<bool> _waitForAck = new("--wait-for-ack") { Description = "Return only once the client acknowledged it (fails with the reason otherwise)." };

    public PushCommand()
        : base("push", "Push a message to one client id through a server's admin API, e.g. tether push sensor-42 'hello' --api-key-file key. "
            + "Prints delivered (to its live connection) or queued (in its session, for its return); a client id that is nowhere fails.")
    {
        Arguments.Add(_clientId);
        Arguments.Add(_text);
        Options.Add(_reliable);
        Options.Add(_waitForAck);
        _admin.AddTo(this);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var clientId = result.GetValue(_clientId)!;
        var waitForAck = result.GetValue(_waitForAck);
        using var client = _admin.CreateClient(result);
        var body = await client.SendAsync(
            HttpMethod.Post,
            $"api/clients/{Uri.EscapeDataString(clientId)}/messages",
            AdminJsonText.Message(result.GetValue(_text)!, result.GetValue(_reliable), waitForAck),
            cancellationToken).ConfigureAwait(false);

        var status = body.Text("status") ?? "sent";
        var where = body.Text("node") is { } node ? $" on {node}" : string.Empty;
        var acknowledged = waitForAck ? ", acknowledged" : string.Empty;
        await Console.Out.WriteLineAsync($"{status}: {clientId}{where}{acknowledged}").ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
