using System.Net;
using System.Text;
using Tether.Client;
using Tether.Examples.Chat;
using Tether.Server;

namespace Tether.Examples.Tests;

/// <summary>The chat example chats: its handler, in a real server, with real clients.</summary>
public sealed class ChatTests
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_line_from_one_member_reaches_the_other_with_the_senders_name()
    {
        await using var server = await StartAsync();
        await using var alice = await JoinAsync(server, "alice");
        await using var bob = await JoinAsync(server, "bob");
        await using var bobReads = bob.ReadAllAsync().GetAsyncEnumerator();

        await alice.SendAsync("hello, bob"u8.ToArray());

        Assert.Equal("alice: hello, bob", await NextMatchingAsync(bobReads, line => !line.StartsWith('*')));
    }

    [Fact]
    public async Task A_whisper_reaches_only_its_addressee()
    {
        await using var server = await StartAsync();
        await using var alice = await JoinAsync(server, "alice");
        await using var bob = await JoinAsync(server, "bob");
        await using var carol = await JoinAsync(server, "carol");
        await using var bobReads = bob.ReadAllAsync().GetAsyncEnumerator();
        await using var carolReads = carol.ReadAllAsync().GetAsyncEnumerator();

        await alice.SendAsync("/to bob just you"u8.ToArray());
        await alice.SendAsync("to everyone"u8.ToArray());

        Assert.Equal("alice (to you): just you", await NextMatchingAsync(bobReads, line => !line.StartsWith('*')));
        // The room's line comes after the whisper on every stream: carol seeing it first means she never got the whisper.
        Assert.Equal("alice: to everyone", await NextMatchingAsync(carolReads, line => !line.StartsWith('*')));
    }

    [Fact]
    public async Task A_whisper_to_nobody_is_answered_by_the_room()
    {
        await using var server = await StartAsync();
        await using var alice = await JoinAsync(server, "alice");
        await using var aliceReads = alice.ReadAllAsync().GetAsyncEnumerator();

        await alice.SendAsync("/to zed hello?"u8.ToArray());

        Assert.Equal("* nobody called zed is here", await NextMatchingAsync(aliceReads, line => line.StartsWith("* nobody", StringComparison.Ordinal)));
    }

    private static async Task<TetherServer> StartAsync()
    {
        var options = new TetherServerOptions();
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        var server = new TetherServer(options, new ChatHandler());
        await server.StartAsync();
        return server;
    }

    private static async Task<TetherClient> JoinAsync(TetherServer server, string name)
    {
        var options = new TetherClientOptions { ClientId = name };
        options.EndPoints.Add(server.LocalEndPoints[0]);
        var client = new TetherClient(options);
        await client.ConnectAsync();
        return client;
    }

    /// <summary>The next line that <paramref name="match"/> accepts, skipping the others (joins and leaves arrive at any time).</summary>
    private static async Task<string> NextMatchingAsync(IAsyncEnumerator<ReadOnlyMemory<byte>> messages, Func<string, bool> match)
    {
        while (await messages.MoveNextAsync().AsTask().WaitAsync(EventTimeout))
        {
            var line = Encoding.UTF8.GetString(messages.Current.Span);
            if (match(line))
            {
                return line;
            }
        }

        throw new InvalidOperationException("the client closed before the line arrived");
    }
}
