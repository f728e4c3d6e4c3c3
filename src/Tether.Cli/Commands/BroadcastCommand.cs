using System.CommandLine;
using Tether.Cli.Admin;

namespace Tether.Cli.Commands;

/// <summary><c>tether broadcast TEXT</c> and <c>tether group-push GROUP TEXT</c>: fan-out through a server's admin API.</summary>
internal sealed class BroadcastCommand : Command
{
    private readonly AdminConnectionOptions _admin = new();
    private readonly Argument<string>? _group;
    private readonly Argument<string> _text = new("text") { Description = "The message, sent as UTF-8." };

    private BroadcastCommand(string name, string description, Argument<string>? group)
        : base(name, description)
    {
        _group = group;
        if (group is not null)
        {
            Arguments.Add(group);
        }

        Arguments.Add(_text);
        _admin.AddTo(this);
        SetAction(RunAsync);
    }

    public static BroadcastCommand Broadcast() => new(
        "broadcast",
        "Push a message to every client through a server's admin API (in a cluster, to every node's clients), e.g. tether broadcast 'maintenance at 22:00' --api-key-file key.",
        group: null);

    public static BroadcastCommand GroupPush() => new(
        "group-push",
        "Push a message to every member of a group through a server's admin API, e.g. tether group-push floor-3 'lights off' --api-key-file key.",
        new Argument<string>("group") { Description = "The group to push to." });

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var path = _group is null ? "api/broadcast" : $"api/groups/{Uri.EscapeDataString(result.GetValue(_group)!)}/messages";
        using var client = _admin.CreateClient(result);
        var body = await client.SendAsync(HttpMethod.Post, path, AdminJsonText.Message(result.GetValue(_text)!), cancellationToken).ConfigureAwait(false);
        await Console.Out.WriteLineAsync($"sent: {body.Number("count") ?? 0} connections and sessions on {body.Text("node") ?? "the server"}").ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
