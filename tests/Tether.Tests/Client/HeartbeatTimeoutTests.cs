using Microsoft.Extensions.Time.Testing;
using Tether.Client;
using Tether.Protocol;
using Tether.Tests.Support;

namespace Tether.Tests.Client;

/// <summary>
/// A side that declares its peer dead sends CLOSE 1006 and closes at once: no half-close and linger, the link is
/// presumed dead (protocol section 12).
/// </summary>
public sealed class HeartbeatTimeoutTests
{
    [Fact]
    public async Task The_client_sends_close_1006_and_closes_at_once_without_waiting_for_the_server()
    {
        var time = new FakeTimeProvider();
        using var server = new ScriptedServer();
        var options = ClientFactory.Options(server.EndPoint);
        options.CloseLinger = TimeSpan.FromMinutes(5);
        await using var client = new TetherClient(options, loggerFactory: null, timeProvider: time);
        var states = new StateRecorder(client);
        var accepting = server.AcceptAsync(_ => new WelcomeFrame { HeartbeatIntervalMs = 1000, HeartbeatTimeoutMs = 1500, ConnectionId = 1 });
        await client.ConnectAsync();
        var (peer, _) = await accepting;
        await using (peer)
        {
            // The scripted server never answers: after the timeout the client gives up on it.
            time.Advance(TimeSpan.FromMilliseconds(1500));

            Assert.Equal(CloseCode.HeartbeatTimeout, (await peer.ReadUntilCloseAsync())?.Code);
            Assert.True((await peer.ReadFrameOrEndAsync()).IsEndOfStream);
            await states.WaitForAsync(ClientState.Reconnecting);
            Assert.Equal(DisconnectReason.HeartbeatTimeout, states.Last(ClientState.Reconnecting)!.Disconnect?.Reason);
        }
    }
}
