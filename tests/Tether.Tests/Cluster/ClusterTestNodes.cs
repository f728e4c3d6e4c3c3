using System.Text;
using Tether.Client;
using Tether.Cluster;
using Tether.Tests.Support;

namespace Tether.Tests.Cluster;

/// <summary>In-process cluster nodes on one real Redis, with short intervals, and clients that read what they get.</summary>
internal static class ClusterTestNodes
{
    public static Task<ServerFixture> StartNodeAsync(RedisServer redis, string name, Action<ScaleOutOptions>? configure = null, bool sessions = true)
    {
        var scaleOut = new ScaleOutOptions
        {
            Redis = redis.Configuration,
            NodeName = name,
            KeyPrefix = "t",
            AnnounceInterval = TimeSpan.FromMilliseconds(200),
            NodeTimeToLive = TimeSpan.FromSeconds(3),
            ProbeInterval = TimeSpan.FromMilliseconds(300),

            // Generous for a shared test machine; the fail-fast path is asserted in seconds.
            OperationTimeout = TimeSpan.FromSeconds(1),
        };
        configure?.Invoke(scaleOut);
        return ServerFixture.StartAsync(
            o =>
            {
                o.ScaleOut = scaleOut;
                o.Sessions.Enabled = sessions;
            },
            handler: new RecordingHandler { Echo = false });
    }

    public static async Task<ReadingClient> ConnectAsync(ServerFixture node, string? clientId, bool session = true)
    {
        var options = ClientFactory.Options(node.EndPoint);
        options.ClientId = clientId;
        options.Sessions.Enabled = session;
        var client = new ReadingClient(new TetherClient(options));
        await client.Client.ConnectAsync();
        return client;
    }

    /// <summary>Waits until the client id is in the directory on the node's Redis (registration is not awaited by the handshake).</summary>
    public static Task UntilLocatedAsync(ServerFixture node, string clientId, string nodeName) =>
        UntilAsync(async () => (await node.Server.LocateClientAsync(clientId))?.NodeName == nodeName, $"{clientId} located on {nodeName}");

    public static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeouts.Event;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (TetherException) when (DateTime.UtcNow < deadline)
            {
                // Redis is still coming back: ask again.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} did not hold within {Timeouts.Event.TotalSeconds} s");
            }

            await Task.Delay(20);
        }
    }
}

/// <summary>A client and the messages it receives, in order.</summary>
internal sealed class ReadingClient : IAsyncDisposable
{
    private readonly IAsyncEnumerator<ReadOnlyMemory<byte>> _messages;

    public ReadingClient(TetherClient client)
    {
        Client = client;
        _messages = client.ReadAllAsync().GetAsyncEnumerator();
    }

    public TetherClient Client { get; }

    public async Task<string> NextAsync()
    {
        Assert.True(await _messages.MoveNextAsync().AsTask().WaitAsync(Timeouts.Event), "the client's messages ended");
        return Encoding.UTF8.GetString(_messages.Current.Span);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();

        // The reader's enumerator may be in the middle of a read: the client's disposal has ended it.
        if (_messages is IAsyncDisposable)
        {
            try
            {
                await _messages.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(1));
            }
            catch (Exception ex) when (ex is OperationCanceledException or NotSupportedException or TimeoutException)
            {
            }
        }
    }
}
