using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Tether;
using Tether.Client;
using Tether.Examples.Chat;
using Tether.Server;

// dotnet run --project examples/Chat -- serve [PORT]              runs the room (Ctrl-C stops it)
// dotnet run --project examples/Chat -- join NAME [HOST:PORT]     enters it: type lines, "/to NAME text" to whisper
const int DefaultPort = 7447;

switch (args)
{
    case ["serve", .. var rest] when rest.Length <= 1:
        return await ServeAsync(rest.Length == 1 ? int.Parse(rest[0], CultureInfo.InvariantCulture) : DefaultPort);
    case ["join", var name, .. var rest] when rest.Length <= 1:
        return await JoinAsync(name, rest.Length == 1 ? ParseEndPoint(rest[0]) : new IPEndPoint(IPAddress.Loopback, DefaultPort));
    default:
        Console.Error.WriteLine("usage: Chat serve [PORT] | Chat join NAME [HOST:PORT]");
        return 1;
}

static async Task<int> ServeAsync(int port)
{
    using var loggerFactory = LoggerFactory.Create(builder => builder.AddConsole());
    var options = new TetherServerOptions();
    options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, port));
    await using var server = new TetherServer(options, new ChatHandler(), loggerFactory);
    await server.StartAsync();
    Console.WriteLine($"chat room on {server.LocalEndPoints[0]}; Ctrl-C stops it");

    var stop = new TaskCompletionSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;   // let the server say goodbye (GOAWAY, drain) instead of dying here
        stop.TrySetResult();
    };
    await stop.Task;
    await server.StopAsync();
    return 0;
}

static async Task<int> JoinAsync(string name, EndPoint endPoint)
{
    var options = new TetherClientOptions { ClientId = name };
    options.EndPoints.Add(endPoint);
    await using var client = new TetherClient(options);
    try
    {
        await client.ConnectAsync();
    }
    catch (TetherException e)
    {
        Console.Error.WriteLine($"cannot join: {e.Message}");
        return 2;
    }

    Console.WriteLine($"joined {endPoint} as {name}; type lines, '/to NAME text' to whisper, Ctrl-D to leave");
    var printing = PrintAsync(client, name);
    try
    {
        // Console.ReadLine blocks this thread, not the client: it reconnects and receives meanwhile.
        while (Console.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                await client.SendAsync(Encoding.UTF8.GetBytes(line));
            }
        }
    }
    catch (TetherException e)
    {
        Console.Error.WriteLine($"left: {e.Message}");   // e.g. another "NAME" joined and replaced this one
        return 2;
    }

    await client.CloseAsync();
    await printing;
    return 0;
}

static async Task PrintAsync(TetherClient client, string name)
{
    var own = name + ": ";
    await foreach (var message in client.ReadAllAsync())
    {
        var line = Encoding.UTF8.GetString(message.Span);
        if (!line.StartsWith(own, StringComparison.Ordinal))
        {
            Console.WriteLine(line);
        }
    }
}

static EndPoint ParseEndPoint(string text)
{
    if (IPEndPoint.TryParse(text, out var ip))
    {
        return ip;
    }

    var colon = text.LastIndexOf(':');
    return new DnsEndPoint(text[..colon], int.Parse(text[(colon + 1)..], CultureInfo.InvariantCulture));
}
