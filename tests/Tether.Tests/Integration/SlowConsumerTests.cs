using System.Buffers;
using Tether.Client;
using Tether.Protocol;
using Tether.Sessions;
using Tether.Tests.Support;

namespace Tether.Tests.Integration;

/// <summary>
/// A client that stops reading stops acknowledging, so its session's replay buffer fills up: the server's slow-consumer
/// policy applies, nothing stalls anyone else, and any loss is reported.
/// </summary>
public sealed class SlowConsumerTests
{
    private static readonly byte[] Kilobyte = new byte[1024];

    [Fact]
    public async Task Drop_session_policy_refuses_the_message_closes_and_reports_overflow_on_both_sides()
    {
        await using var server = await ServerFixture.StartAsync(o =>
        {
            o.Sessions.MaxUnacknowledgedBytes = 64 * 1024;
            o.Sessions.SlowConsumerPolicy = SlowConsumerPolicy.DropSession;
        });
        var stalled = new StalledHandler();
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint), stalled);
        var clientLost = new TaskCompletionSource<SessionLostEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.SessionLost += (_, e) => clientLost.TrySetResult(e);
        await client.ConnectAsync();
        var connection = await server.Handler.NextConnectedAsync();

        var accepted = 0;
        var error = await Assert.ThrowsAsync<TetherException>(async () =>
        {
            while (accepted < 1000)
            {
                await connection.SendAsync(Kilobyte);
                accepted++;
            }
        });

        Assert.Contains("dropped", error.Message, StringComparison.Ordinal);
        Assert.InRange(accepted, 60, 65);
        var serverLost = await server.Handler.NextSessionLostAsync();
        Assert.Equal(SessionLostReason.Overflow, serverLost.Reason);
        // What the client had not acknowledged (its ack timer may have covered the first message) plus the refused one.
        Assert.InRange(serverLost.UnacknowledgedSent, accepted, accepted + 1);
        var (_, info) = await server.Handler.NextDisconnectedAsync();
        Assert.Equal(CloseCode.SlowConsumer, info.Code);

        stalled.Release();
        var lost = await clientLost.Task.WaitAsync(Timeouts.Event);
        Assert.Equal(SessionLostReason.Overflow, lost.Info.Reason);
        Assert.Equal(serverLost.UnacknowledgedSent, lost.Info.PeerReportedLost);
    }

    [Fact]
    public async Task Wait_policy_holds_the_sender_until_the_client_reads_and_then_everything_arrives_in_order()
    {
        await using var server = await ServerFixture.StartAsync(o =>
        {
            o.Sessions.MaxUnacknowledgedBytes = 16 * 1024;
            o.Sessions.SlowConsumerPolicy = SlowConsumerPolicy.Wait;
            o.Sessions.SlowConsumerTimeout = TimeSpan.FromSeconds(30);
        });
        var stalled = new StalledHandler();
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint), stalled);
        await client.ConnectAsync();
        var connection = await server.Handler.NextConnectedAsync();

        var sends = SendNumberedAsync(connection, 100);
        await Eventually.WaitUntilAsync(() => connection.Session!.UnacknowledgedBytes >= 15 * 1024);
        Assert.False(sends.IsCompleted);

        stalled.Release();
        await sends.WaitAsync(Timeouts.Event);
        await Eventually.WaitUntilAsync(() => stalled.Delivered == 100);
        Assert.Equal(Enumerable.Range(1, 100), stalled.Numbers);
    }

    [Fact]
    public async Task Wait_policy_gives_up_after_the_timeout_and_disconnects_keeping_the_session_so_nothing_is_lost()
    {
        await using var server = await ServerFixture.StartAsync(o =>
        {
            o.Sessions.MaxUnacknowledgedBytes = 16 * 1024;
            o.Sessions.SlowConsumerPolicy = SlowConsumerPolicy.Wait;
            o.Sessions.SlowConsumerTimeout = TimeSpan.FromMilliseconds(300);
        });
        var stalled = new StalledHandler();
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint), stalled);
        var lost = 0;
        client.SessionLost += (_, _) => lost++;
        await client.ConnectAsync();
        var connection = await server.Handler.NextConnectedAsync();
        var session = connection.Session!;

        // Send until the wait gives up: that message is kept over the limit and the connection is closed.
        var sent = 0;
        while (connection.State == Tether.Server.ConnectionState.Open && sent < 100)
        {
            var message = new byte[1024];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(message, ++sent);
            await connection.SendAsync(message).AsTask().WaitAsync(Timeouts.Event);
        }

        var (_, info) = await server.Handler.NextDisconnectedAsync();
        Assert.Equal(CloseCode.SlowConsumer, info.Code);
        Assert.False(session.IsLost);
        Assert.InRange(sent, 16, 18);

        stalled.Release();
        await Eventually.WaitUntilAsync(() => stalled.Delivered == sent);
        Assert.Equal(Enumerable.Range(1, sent), stalled.Numbers);
        Assert.Equal(0, lost);
    }

    [Fact]
    public async Task A_broadcast_never_waits_for_a_stalled_session_and_the_others_get_everything()
    {
        await using var server = await ServerFixture.StartAsync(o => o.Sessions.MaxUnacknowledgedBytes = 16 * 1024);
        var stalled = new StalledHandler();
        await using var slow = new TetherClient(ClientFactory.Options(server.EndPoint), stalled);
        await slow.ConnectAsync();
        var healthy = new StalledHandler();
        healthy.Release();
        await using var fast = new TetherClient(ClientFactory.Options(server.EndPoint), healthy);
        await fast.ConnectAsync();
        await Eventually.WaitUntilAsync(() => server.Server.Sessions.Count == 2);
        Assert.True(server.Server.Sessions.TryGet(fast.SessionId!.Value, out var healthySession));

        for (var i = 1; i <= 200; i++)
        {
            var message = new byte[1024];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(message, i);
            server.Server.Broadcast(message);
            if (i % 10 == 0)
            {
                // Bursts of 10 KiB stay under the 16 KiB bound once the healthy client has acknowledged the previous
                // one (its ack waits up to 200 ms). The broadcast itself never blocks; only the stalled session fills.
                await Eventually.WaitUntilAsync(() => healthy.Delivered == i && healthySession.UnacknowledgedMessages == 0);
            }
        }

        Assert.Equal(Enumerable.Range(1, 200), healthy.Numbers);
        var (_, info) = await server.Handler.NextDisconnectedAsync();
        Assert.Equal(CloseCode.SlowConsumer, info.Code);
        stalled.Release();
    }

    private static async Task SendNumberedAsync(Tether.Server.TetherConnection connection, int count)
    {
        for (var i = 1; i <= count; i++)
        {
            var message = new byte[1024];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(message, i);
            await connection.SendAsync(message);
        }
    }


    /// <summary>A client handler that stops reading on its first message until released.</summary>
    private sealed class StalledHandler : TetherClientHandler
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<int> _numbers = [];

        public int Delivered
        {
            get
            {
                lock (_numbers)
                {
                    return _numbers.Count;
                }
            }
        }

        public IReadOnlyList<int> Numbers
        {
            get
            {
                lock (_numbers)
                {
                    return [.. _numbers];
                }
            }
        }

        public void Release() => _release.TrySetResult();

        public override async ValueTask OnMessageAsync(TetherClient client, ReadOnlySequence<byte> message)
        {
            await _release.Task.WaitAsync(Timeouts.Event);
            var number = message.Length >= 4 ? System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(message.FirstSpan) : -1;
            lock (_numbers)
            {
                _numbers.Add(number);
            }
        }
    }
}
