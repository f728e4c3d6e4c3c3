using System.CommandLine;
using System.Text.Json;
using Tether.Cli.Admin;

namespace Tether.Cli.Commands;

/// <summary><c>tether clients</c>: the connected client ids, one a line, through a server's admin API.</summary>
internal sealed class ClientsCommand : Command
{
    private const int PageSize = 500;
    private readonly AdminConnectionOptions _admin = new();

    public ClientsCommand()
        : base("clients", "List the connected client ids, one a line (in a cluster, of every node), through a server's admin API, e.g. tether clients --api-key-file key.")
    {
        _admin.AddTo(this);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        using var client = _admin.CreateClient(result);
        string? cursor = null;
        do
        {
            var path = cursor is null ? $"api/clients?limit={PageSize}" : $"api/clients?limit={PageSize}&cursor={Uri.EscapeDataString(cursor)}";
            var page = await client.SendAsync(HttpMethod.Get, path, json: null, cancellationToken).ConfigureAwait(false);
            if (page.ValueKind != JsonValueKind.Object || !page.TryGetProperty("clients", out var clients))
            {
                throw new CliException("the admin API answered without a client list", ExitCodes.Failure);
            }

            foreach (var id in clients.EnumerateArray())
            {
                await Console.Out.WriteLineAsync(id.GetString()).ConfigureAwait(false);
            }

            cursor = page.Text("nextCursor");
        }
        while (cursor is not null);

        return ExitCodes.Success;
    }
}
