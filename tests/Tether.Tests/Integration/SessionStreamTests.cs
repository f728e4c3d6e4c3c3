using System.Buffers.Binary;
using System.Collections.Concurrent;
using Tether.Client;
using Tether.FaultProxy;
using Tether.Tests.Support;

namespace Tether.Tests.Integration;

/// <summary>
/// Both directions stream numbered messages through a fault proxy that cuts the connection at random points: with
/// sessions, every message arrives exactly once and in order, whatever the network did.
/// </summary>
public sealed class SessionStreamTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Random_cuts_lose_duplicate_and_reorder_nothing_in_either_direction(int seed)
    {
        const int count = 3000;
        var random = new Random(seed);
        await using var setup = await ProxiedClient.ConnectAsync();
        var (server, proxy, client) = (setup.Server, setup.Proxy, setup.Client);
        var resumes = 0;
        client.SessionResumed += (_, _) => Interlocked.Increment(ref resumes);
        var lost = new ConcurrentQueue<SessionLostEventArgs>();
        client.SessionLost += (_, e) => lost.Enqueue(e);

        // The server echoes every message (into the session), so the echoes are the downstream numbered stream.
        var upstream = ReceiveNumberedAsync(count, async () => (await server.Handler.NextMessageAsync()).Message);
        var echoes = client.ReadAllAsync().GetAsyncEnumerator();
        var downstream = ReceiveNumberedAsync(count, async () => await echoes.MoveNextAsync() ? echoes.Current.ToArray() : throw new InvalidOperationException("the client closed"));

        // Faults at random points of the stream (not on a timer, so a fast machine cannot outrun them).
        var cuts = 0;
        var nextFault = random.Next(50, 200);
        for (var i = 1; i <= count; i++)
        {
            await client.SendAsync(Numbered(i)).AsTask().WaitAsync(Timeouts.Event);
            if (i == nextFault)
            {
                cuts += InjectFault(proxy, random);
                nextFault += random.Next(50, 200);
                await Task.Delay(random.Next(0, 5));
            }
        }

        var up = await upstream.WaitAsync(Timeouts.Event);
        proxy.Pass();
        var down = await downstream.WaitAsync(Timeouts.Event);

        Assert.Equal(Enumerable.Range(1, count), up);
        Assert.Equal(Enumerable.Range(1, count), down);
        Assert.Empty(lost);
        Assert.True(cuts > 0 && resumes > 0, $"{cuts} cuts, {resumes} resumes: the test did not exercise a resume");
        await echoes.DisposeAsync();
    }

    [Fact]
    public async Task A_black_holed_link_is_detected_by_the_heartbeat_and_the_session_resumes_with_nothing_lost()
    {
        await using var setup = await ProxiedClient.ConnectAsync(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromSeconds(1);
            o.HeartbeatTimeout = TimeSpan.FromSeconds(2);
        });
        var (server, proxy, client, states) = (setup.Server, setup.Proxy, setup.Client, setup.States);
        var echoes = client.ReadAllAsync().GetAsyncEnumerator();
        var resumed = new TaskCompletionSource<SessionResumedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.SessionResumed += (_, e) => resumed.TrySetResult(e);

        for (var i = 1; i <= 10; i++)
        {
            await client.SendAsync(Numbered(i));
        }

        proxy.BlackHole();
        for (var i = 11; i <= 20; i++)
        {
            await client.SendAsync(Numbered(i));
        }

        await states.WaitForAsync(ClientState.Reconnecting);
        proxy.Pass();
        var resume = await resumed.Task.WaitAsync(Timeouts.Event);

        var up = new List<int>();
        var down = new List<int>();
        while (up.Count < 20)
        {
            up.Add(Number((await server.Handler.NextMessageAsync()).Message));
        }

        while (down.Count < 20 && await echoes.MoveNextAsync().AsTask().WaitAsync(Timeouts.Event))
        {
            down.Add(Number(echoes.Current.ToArray()));
        }

        Assert.Equal(Enumerable.Range(1, 20), up);
        Assert.Equal(Enumerable.Range(1, 20), down);
        Assert.True(resume.Resent > 0, "messages sent into the black hole must be resent on resume");
        await echoes.DisposeAsync();
    }

    internal static byte[] Numbered(int number)
    {
        var bytes = new byte[4 + (number % 7 * 13)];
        BinaryPrimitives.WriteInt32BigEndian(bytes, number);
        return bytes;
    }

    internal static int Number(byte[] message) => BinaryPrimitives.ReadInt32BigEndian(message);

    private static async Task<List<int>> ReceiveNumberedAsync(int count, Func<Task<byte[]>> next)
    {
        var received = new List<int>(count);
        while (received.Count < count)
        {
            var number = Number(await next());
            received.Add(number);
            if (number != received.Count)
            {
                // Fail fast with the evidence rather than waiting for the rest.
                return received;
            }
        }

        return received;
    }

    private static int InjectFault(TcpFaultProxy proxy, Random random)
    {
        switch (random.Next(4))
        {
            case 0:
                proxy.Slice(1 + random.Next(7));
                return 0;
            case 1:
                proxy.Pass();
                return 0;
            default:
                return proxy.ResetAll();
        }
    }
}
