using System.Net;
using System.Net.Sockets;
using System.Text;
using Tether.Client;
using Tether.Protocol;
using Tether.Tests.Support;

namespace Tether.Tests.Client;

/// <summary>
/// GOAWAY and the alternate endpoints of GOAWAY and CLOSE (protocol sections 11 and 14.2), checked on the wire against
/// scripted servers.
/// </summary>
public sealed class GoAwayTests
{
    [Fact]
    public async Task On_goaway_the_client_sends_its_pending_ack_then_close_1000_at_once_and_resends_later_messages_after_the_resume()
    {
        using var server = new ScriptedServer();
        var options = ClientFactory.Options(server.EndPoint);
        options.Sessions.AckDelay = TimeSpan.FromMinutes(1);
        await using var client = new TetherClient(options);
        var id = SessionId.NewRandom();
        var accepting = server.AcceptAsync(_ => ScriptedServer.SessionWelcome(id));
        await client.ConnectAsync();
        var (first, _) = await accepting;
        await using (first)
        {
            // The ack of "x" is not due for a minute: only the GOAWAY makes it go out now, before the CLOSE.
            await first.SendAsync(w =>
            {
                FrameWriter.WriteData(w, "x"u8, DataFlags.Sequence, 1, 0);
                new GoAwayFrame { RetryAfterMs = 0, DrainMs = 60_000, Reason = "restarting" }.Write(w);
            });

            var ack = await first.ReadFrameAsync();
            Assert.Equal(FrameType.Ack, ack.Type);
            Assert.Equal(1UL, ack.ToFrame().ReadUInt64Body());
            var close = await first.ReadFrameAsync();
            Assert.Equal(FrameType.Close, close.Type);
            Assert.Equal(CloseCode.Normal, CloseFrame.Parse(close.ToFrame()).Code);
        }

        // A message sent from now on waits for the next connection, where it is the first DATA.
        var resuming = server.AcceptAsync(_ => ScriptedServer.SessionWelcome(id, resumed: true));
        await client.SendAsync("later"u8.ToArray());
        var (second, hello) = await resuming;
        await using (second)
        {
            Assert.Equal(1UL, hello.LastReceivedSequence);
            var data = DataFrame.Parse((await second.ReadFrameAsync()).ToFrame());
            Assert.Equal(1UL, data.Sequence);
            Assert.Equal("later", Encoding.UTF8.GetString(System.Buffers.BuffersExtensions.ToArray(data.Payload)));
        }
    }

    [Fact]
    public async Task The_alternates_of_a_goaway_are_tried_once_each_in_order_then_the_configured_list()
    {
        using var configured = new ScriptedServer();
        using var alternate = new ScriptedServer();
        var dead = new IPEndPoint(IPAddress.Loopback, UnusedPort());
        await using var client = new TetherClient(ClientFactory.Options(configured.EndPoint));
        var states = new StateRecorder(client);
        var accepting = configured.AcceptAsync();
        await client.ConnectAsync();
        var (first, _) = await accepting;
        await using (first)
        {
            await first.SendAsync(new GoAwayFrame { DrainMs = 60_000, Extensions = [Alternate(dead), Alternate(alternate.EndPoint)] }.Write);
            Assert.Equal(CloseCode.Normal, (await first.ReadUntilCloseAsync())?.Code);
        }

        // The dead alternate fails, the live one answers; once it drops, the list is forgotten.
        var (second, _) = await alternate.AcceptAsync();
        var back = configured.AcceptAsync();
        await second.DisposeAsync();
        var (third, _) = await back;
        await third.DisposeAsync();

        var attempts = states.Events.Where(e => e.Current == ClientState.Reconnecting).Select(e => e.EndPoint).ToList();
        Assert.Equal([dead, alternate.EndPoint, configured.EndPoint], attempts.Take(3));
    }

    [Fact]
    public async Task The_alternates_of_a_close_are_honoured()
    {
        using var configured = new ScriptedServer();
        using var alternate = new ScriptedServer();
        await using var client = new TetherClient(ClientFactory.Options(configured.EndPoint));
        var states = new StateRecorder(client);
        var accepting = configured.AcceptAsync();
        await client.ConnectAsync();
        var (first, _) = await accepting;
        await using (first)
        {
            await first.SendAsync(new CloseFrame { Code = CloseCode.ServerBusy, Reason = "full", Extensions = [Alternate(alternate.EndPoint)] }.Write);
            first.ShutdownSend();

            var (second, _) = await alternate.AcceptAsync();
            await second.DisposeAsync();
        }

        Assert.Equal(alternate.EndPoint, states.Events.First(e => e.Current == ClientState.Reconnecting).EndPoint);
    }

    [Fact]
    public async Task The_alternates_of_a_close_refusing_the_handshake_are_honoured()
    {
        using var configured = new ScriptedServer();
        using var alternate = new ScriptedServer();
        await using var client = new TetherClient(ClientFactory.Options(configured.EndPoint));
        var connecting = client.ConnectAsync();
        var refused = await configured.AcceptRawAsync();
        await using (refused)
        {
            Assert.Equal(FrameType.Hello, (await refused.ReadFrameAsync()).Type);
            await refused.SendAsync(new CloseFrame { Code = CloseCode.TooManyConnections, Extensions = [Alternate(alternate.EndPoint)] }.Write);
            refused.ShutdownSend();

            var (second, _) = await alternate.AcceptAsync();
            await using (second)
            {
                await connecting.WaitAsync(Timeouts.Event);
                Assert.Equal(alternate.EndPoint, client.ConnectedEndPoint);
            }
        }
    }

    private static ExtensionItem Alternate(EndPoint endPoint) =>
        new(ProtocolConstants.AlternateEndpointExtension, Encoding.UTF8.GetBytes(endPoint.ToString()!));

    private static int UnusedPort()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
