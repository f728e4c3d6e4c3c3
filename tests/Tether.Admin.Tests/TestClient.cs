using System.Buffers;
using System.Net;
using System.Text;
using System.Threading.Channels;
using Tether.Client;

namespace Tether.Admin.Tests;

/// <summary>A real TetherClient on loopback whose received messages a test can await, as text.</summary>
internal sealed class TestClient : IAsyncDisposable
{
    private readonly Channel<string> _received = Channel.CreateUnbounded<string>();
    private TestClient(TetherClient client, Handler handler)
    {
        Client = client;
        handler.Owner = this;
    }

    public TetherClient Client { get; }

    public static async Task<TestClient> ConnectAsync(IPEndPoint server, string clientId, bool sessions = true, TimeSpan? reconnectDelay = null, bool reconnect = true)
    {
        var options = new TetherClientOptions { ClientId = clientId };
        options.EndPoints.Add(server);
        options.Sessions.Enabled = sessions;
        if (reconnectDelay is { } delay)
        {
            options.Reconnect.BaseDelay = delay;
            options.Reconnect.MaxDelay = delay;
        }

        options.Reconnect.Enabled = reconnect;
        var handler = new Handler();

        var client = new TetherClient(options, handler);
        var test = new TestClient(client, handler);
        await client.ConnectAsync();
        return test;
    }

    /// <summary>The next message received, within 20 s.</summary>
    public async Task<string> ReceiveAsync()
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await _received.Reader.ReadAsync(bound.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
    }

    private sealed class Handler : TetherClientHandler
    {
        public TestClient? Owner { get; set; }

        public override ValueTask OnMessageAsync(TetherClient client, ReadOnlySequence<byte> message)
        {
            Owner!._received.Writer.TryWrite(Encoding.UTF8.GetString(message));
            return ValueTask.CompletedTask;
        }
    }
}
