using Tether.Client;
using Tether.Protocol;
using Tether.Tests.Support;

namespace Tether.Tests.Client;

/// <summary>
/// A client that detects a violation by its server closes with the code that names it (1002 or 1004) and then
/// reconnects with backoff, exactly as when it receives 1002 (protocol sections 13 and 15).
/// </summary>
public sealed class ClientViolationTests
{
    [Fact]
    public async Task Seq_0_from_the_server_is_answered_with_1002_and_the_client_reconnects()
    {
        using var server = new ScriptedServer();
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint));
        var states = new StateRecorder(client);
        var accepting = server.AcceptAsync(SessionWelcome);
        await client.ConnectAsync();
        var (peer, _) = await accepting;
        await using (peer)
        {
            var reconnect = server.AcceptAsync(SessionWelcome);
            await peer.SendAsync(w => FrameWriter.WriteData(w, "zero"u8, DataFlags.Sequence, 0, 0));

            Assert.Equal(CloseCode.ProtocolError, (await peer.ReadUntilCloseAsync())?.Code);
            await AssertReconnectsAfterAsync(states, CloseCode.ProtocolError);
            var (second, _) = await reconnect;
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_frame_above_the_client_maximum_is_answered_with_1004_and_the_client_reconnects()
    {
        using var server = new ScriptedServer();
        var options = ClientFactory.Options(server.EndPoint);
        options.MaxFrameSize = ProtocolConstants.MinMaxFrameSize;
        await using var client = new TetherClient(options);
        var states = new StateRecorder(client);
        var accepting = server.AcceptAsync();
        await client.ConnectAsync();
        var (peer, _) = await accepting;
        await using (peer)
        {
            var reconnect = server.AcceptAsync();
            await peer.SendAsync(w => FrameWriter.WriteData(w, new byte[ProtocolConstants.MinMaxFrameSize + 1]));

            Assert.Equal(CloseCode.FrameTooLarge, (await peer.ReadUntilCloseAsync())?.Code);
            await AssertReconnectsAfterAsync(states, CloseCode.FrameTooLarge);
            var (second, _) = await reconnect;
            await second.DisposeAsync();
        }
    }

    private static async Task AssertReconnectsAfterAsync(StateRecorder states, CloseCode code)
    {
        await states.WaitForAsync(ClientState.Reconnecting);
        var reconnecting = states.Last(ClientState.Reconnecting)!;
        Assert.Equal(DisconnectReason.ProtocolError, reconnecting.Disconnect?.Reason);
        Assert.Equal(code, reconnecting.Disconnect?.Code);
        Assert.Equal(1, reconnecting.Attempt);
    }

    private static WelcomeFrame SessionWelcome(HelloFrame hello) => ScriptedServer.SessionWelcome(SessionId.NewRandom());
}
