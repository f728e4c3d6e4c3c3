using Tether.Client;
using Tether.Protocol;
using Tether.Tests.Support;

namespace Tether.Tests.Server;

/// <summary>
/// A CLOSE whose body cannot be decoded is never answered (protocol section 2.5): the receiver sends no frame and closes
/// the connection, and a client reconnects as after a PROTOCOL_ERROR.
/// </summary>
public sealed class MalformedCloseTests
{
    public static TheoryData<string, string> MalformedCloses => new()
    {
        { "body too short", "08 00 00000003 03e8 00" },
        { "reason overruns the body", "08 00 00000008 03e8 00000000 0005" },
        { "extension overruns the body", "08 00 0000000c 03e8 00000000 0000 0001 0005" },
        { "reason is not UTF-8", "08 00 0000000a 03e8 00000000 0002 c328" },
    };

    [Theory]
    [MemberData(nameof(MalformedCloses))]
    public async Task The_server_does_not_answer_a_malformed_close(string what, string hex)
    {
        await using var server = await ServerFixture.StartAsync();
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { RequestSession = true });
        await using (peer)
        {
            await peer.SendRawAsync(Hex(hex));

            // No frame at all, and an orderly end of the stream (FIN, not a reset).
            var answer = await peer.ReadFrameAsync();
            Assert.True(answer.IsEndOfStream, $"{what}: the server answered with a {answer.Type} frame");
            var (_, info) = await server.Handler.NextDisconnectedAsync();
            Assert.Equal(DisconnectReason.ProtocolError, info.Reason);
            Assert.Null(info.Code);
            Assert.Contains("malformed CLOSE", info.Description, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(MalformedCloses))]
    public async Task The_client_does_not_answer_a_malformed_close_and_reconnects(string what, string hex)
    {
        using var server = new ScriptedServer();
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint));
        var states = new StateRecorder(client);
        var accepting = server.AcceptAsync();
        await client.ConnectAsync();
        var (peer, _) = await accepting;
        await using (peer)
        {
            var reconnect = server.AcceptAsync();
            await peer.SendRawAsync(Hex(hex));

            var answer = await peer.ReadUntilCloseAsync();
            Assert.True(answer is null, $"{what}: the client answered CLOSE {answer?.Code}");
            await states.WaitForAsync(ClientState.Reconnecting);
            var disconnect = states.Last(ClientState.Reconnecting)!.Disconnect;
            Assert.Equal(DisconnectReason.ProtocolError, disconnect?.Reason);
            Assert.Null(disconnect?.Code);
            var (second, _) = await reconnect;
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_client_does_not_answer_a_malformed_close_in_place_of_welcome_and_tries_again()
    {
        using var server = new ScriptedServer();
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint));
        var states = new StateRecorder(client);
        _ = client.ConnectAsync();
        var first = await server.AcceptRawAsync();
        await using (first)
        {
            Assert.Equal(FrameType.Hello, (await first.ReadFrameAsync()).Type);
            await first.SendRawAsync(Hex("08 00 00000003 03e8 00"));

            Assert.Null(await first.ReadUntilCloseAsync());
            await states.WaitForAsync(ClientState.Reconnecting);
            var (second, _) = await server.AcceptAsync();
            await second.DisposeAsync();
        }
    }

    private static byte[] Hex(string text) => Convert.FromHexString(text.Replace(" ", string.Empty, StringComparison.Ordinal));
}
