using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tether.TestSupport;

namespace Tether.FaultProxy.Tests;

[Collection(nameof(TcpFaultProxyTests))]
public sealed class TcpFaultProxyTests
{
    [Fact]
    public async Task Pass_RoundTripsOneMegabyteIntact()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        using var client = await TestSockets.ConnectAsync(proxy.EndPoint);
        var payload = TestSockets.RandomBytes(1024 * 1024, seed: 1);

        var echoed = TestSockets.ReadExactlyAsync(client, payload.Length);
        await TestSockets.SendAllAsync(client, payload);

        Assert.Equal(payload, await echoed);
        Assert.Equal(FaultMode.Pass, proxy.Mode);
        Assert.Equal(1, proxy.ActiveConnections);
        Assert.Equal(1, proxy.AcceptedConnections);
        // The proxy counts a piece after its send returns, which can be after the peer already read it.
        await Eventually.WaitUntilAsync(() => proxy.BytesForwarded == 2L * payload.Length);
        Assert.Equal(2L * payload.Length, proxy.BytesForwarded);
    }

    [Fact]
    public async Task BlackHole_DiscardsDataWithoutClosing_ThenPassResumes()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        using var client = await TestSockets.ConnectAsync(proxy.EndPoint);
        await TestSockets.SendAllAsync(client, "hello"u8.ToArray());
        Assert.Equal("hello"u8.ToArray(), await TestSockets.ReadExactlyAsync(client, 5));
        var serverSide = await server.NextConnectionAsync();

        proxy.BlackHole();
        Assert.Equal(FaultMode.BlackHole, proxy.Mode);
        await TestSockets.SendAllAsync(client, "lost in the void"u8.ToArray());
        var buffer = new byte[1024];
        var pendingRead = client.ReceiveAsync(buffer, SocketFlags.None);

        // Nothing arrives, and neither side sees a FIN or RST.
        Assert.True(await TestSockets.StaysPendingAsync(pendingRead), "The client saw data, a FIN or a reset.");
        Assert.False(serverSide.Closed.IsCompleted, "The server saw a FIN or a reset.");
        Assert.Equal(5, serverSide.BytesReceived);
        Assert.Equal(1, proxy.ActiveConnections);

        proxy.Pass();
        await TestSockets.SendAllAsync(client, "back"u8.ToArray());

        // The discarded bytes are never delivered: the first thing echoed is the new data.
        var read = await pendingRead.WaitAsync(TestTimeouts.Generous);
        var received = buffer[..read].Concat(await TestSockets.ReadExactlyAsync(client, 4 - read)).ToArray();
        Assert.Equal("back"u8.ToArray(), received);
        Assert.Equal(9, serverSide.BytesReceived);
    }

    [Fact]
    public async Task BlackHole_ServerToClientOnly_StillDeliversClientData()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        using var client = await TestSockets.ConnectAsync(proxy.EndPoint);
        proxy.BlackHole(FaultDirection.ServerToClient);

        Assert.Equal(FaultMode.Mixed, proxy.Mode);
        Assert.Equal(FaultMode.Pass, proxy.GetMode(FaultDirection.ClientToServer));
        Assert.Equal(FaultMode.BlackHole, proxy.GetMode(FaultDirection.ServerToClient));

        await TestSockets.SendAllAsync(client, "ping"u8.ToArray());
        var serverSide = await server.NextConnectionAsync();
        await Eventually.WaitUntilAsync(() => serverSide.BytesReceived == 4, "the server receives the ping");

        var pendingRead = client.ReceiveAsync(new byte[16], SocketFlags.None);
        Assert.True(await TestSockets.StaysPendingAsync(pendingRead), "The echo got through a black hole.");
        proxy.Pass();
        await TestSockets.SendAllAsync(client, "!"u8.ToArray());
        Assert.Equal(ReadOutcome.Data, await TestSockets.ClassifyAsync(pendingRead));
    }

    [Fact]
    public async Task BlackHole_HoldsNewConnectionsSilentUntilPass()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        proxy.BlackHole();

        using var client = await TestSockets.ConnectAsync(proxy.EndPoint);
        var pendingRead = client.ReceiveAsync(new byte[16], SocketFlags.None);
        Assert.True(await TestSockets.StaysPendingAsync(pendingRead), "A held connection saw data, a FIN or a reset.");
        Assert.Equal(0, server.AcceptedCount);
        Assert.Equal(1, proxy.ActiveConnections);

        proxy.Pass();
        var serverSide = await server.NextConnectionAsync();
        await TestSockets.SendAllAsync(client, "x"u8.ToArray());
        Assert.Equal(ReadOutcome.Data, await TestSockets.ClassifyAsync(pendingRead));
        Assert.Equal(1, serverSide.BytesReceived);
    }

    [Fact]
    public async Task BlackHole_HoldsFinUntilPass()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        using var client = await TestSockets.ConnectAsync(proxy.EndPoint);
        await TestSockets.SendAllAsync(client, "a"u8.ToArray());
        await TestSockets.ReadExactlyAsync(client, 1);
        var serverSide = await server.NextConnectionAsync();

        proxy.BlackHole();
        client.Shutdown(SocketShutdown.Send);
        Assert.True(await TestSockets.StaysPendingAsync(serverSide.Closed), "The FIN got through a black hole.");

        proxy.Pass();
        Assert.Equal(CloseKind.Fin, await serverSide.Closed.WaitAsync(TestTimeouts.Generous));
        var (data, end) = await TestSockets.ReadToEndAsync(client);
        Assert.Empty(data);
        Assert.Equal(ReadOutcome.Fin, end);
    }

    [Fact]
    public async Task Slice_WithPause_DeliversBytesIntactInManySmallReads()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        proxy.Slice(1, TimeSpan.FromMilliseconds(1));
        Assert.Equal(FaultMode.Slice, proxy.Mode);
        using var client = await TestSockets.ConnectAsync(proxy.EndPoint);
        var payload = TestSockets.RandomBytes(256, seed: 2);

        await TestSockets.SendAllAsync(client, payload);
        var echoed = await TestSockets.ReadExactlyAsync(client, payload.Length);

        Assert.Equal(payload, echoed);
        var serverSide = await server.NextConnectionAsync();
        Assert.Equal(payload.Length, serverSide.ReadSizes.Sum());
        Assert.True(
            serverSide.ReadSizes.Count >= SliceMinimumReads,
            $"Only {serverSide.ReadSizes.Count} reads for {payload.Length} paced one-byte writes: {string.Join(",", serverSide.ReadSizes)}");
    }

    [Fact]
    public async Task Slice_WithoutPause_DeliversBytesIntact()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        proxy.Slice();
        using var client = await TestSockets.ConnectAsync(proxy.EndPoint);
        var payload = TestSockets.RandomBytes(20_000, seed: 9);

        var echoed = TestSockets.ReadExactlyAsync(client, payload.Length);
        await TestSockets.SendAllAsync(client, payload);

        Assert.Equal(payload, await echoed);
        // The proxy counts a piece after its send returns, which can be after the peer already read it.
        await Eventually.WaitUntilAsync(() => proxy.BytesForwarded == 2L * payload.Length);
        Assert.Equal(2L * payload.Length, proxy.BytesForwarded);
    }

    [Fact]
    public async Task Slice_LargerPiecesNeverExceedTheLimit()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        proxy.Slice(7, FaultDirection.ClientToServer);
        using var client = await TestSockets.ConnectAsync(proxy.EndPoint);
        var payload = TestSockets.RandomBytes(10_000, seed: 3);

        var echoed = TestSockets.ReadExactlyAsync(client, payload.Length);
        await TestSockets.SendAllAsync(client, payload);

        Assert.Equal(payload, await echoed);
        // The proxy counts a piece after its send returns, which can be after the peer already read it.
        await Eventually.WaitUntilAsync(() => proxy.BytesForwarded == 2L * payload.Length);
        Assert.Equal(2L * payload.Length, proxy.BytesForwarded);
    }

    [Fact]
    public async Task Delay_RoundTripTakesAtLeastTwiceTheOneWayDelay()
    {
        var oneWay = TimeSpan.FromMilliseconds(150);
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        using var client = await TestSockets.ConnectAsync(proxy.EndPoint);
        proxy.Delay(oneWay);
        Assert.Equal(FaultMode.Delay, proxy.Mode);
        var payload = TestSockets.RandomBytes(100_000, seed: 4);

        var stopwatch = Stopwatch.StartNew();
        var echoed = TestSockets.ReadExactlyAsync(client, 1);
        await TestSockets.SendAllAsync(client, payload);
        await echoed;
        var firstByte = stopwatch.Elapsed;
        var rest = await TestSockets.ReadExactlyAsync(client, payload.Length - 1);

        Assert.True(firstByte >= 2 * oneWay, $"Round trip took {firstByte.TotalMilliseconds} ms.");
        Assert.Equal(payload.AsSpan(1).ToArray(), rest);
    }

    [Fact]
    public async Task Delay_SwitchingBackToPassKeepsOrder()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        using var client = await TestSockets.ConnectAsync(proxy.EndPoint);
        proxy.Delay(TimeSpan.FromMilliseconds(200), FaultDirection.ClientToServer);
        var first = TestSockets.RandomBytes(1000, seed: 5);
        var second = TestSockets.RandomBytes(1000, seed: 6);

        var echoed = TestSockets.ReadExactlyAsync(client, 2000);
        await TestSockets.SendAllAsync(client, first);
        await Eventually.WaitUntilAsync(() => proxy.BytesForwarded == 0 && proxy.ActiveConnections == 1, "the delayed chunk is queued");
        proxy.Pass();
        await TestSockets.SendAllAsync(client, second);

        Assert.Equal(first.Concat(second).ToArray(), await echoed);
    }

    [Fact]
    public async Task ResetAll_ResetsBothSides()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        using var client = await TestSockets.ConnectAsync(proxy.EndPoint);
        await TestSockets.SendAllAsync(client, "hi"u8.ToArray());
        await TestSockets.ReadExactlyAsync(client, 2);
        var serverSide = await server.NextConnectionAsync();

        Assert.Equal(1, proxy.ResetAll());

        Assert.Equal(ReadOutcome.Reset, await TestSockets.ReadOnceAsync(client));
        Assert.Equal(CloseKind.Reset, await serverSide.Closed.WaitAsync(TestTimeouts.Generous));
        await Eventually.WaitUntilAsync(() => proxy.ActiveConnections == 0, "the connection is gone");
        Assert.Equal(0, proxy.ResetAll());
    }

    [Fact]
    public async Task ResetAll_AlsoResetsConnectionsHeldByABlackHole()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        proxy.BlackHole();
        using var client = await TestSockets.ConnectAsync(proxy.EndPoint);
        await Eventually.WaitUntilAsync(() => proxy.ActiveConnections == 1, "the connection is accepted");

        Assert.Equal(1, proxy.ResetAll());

        Assert.Equal(ReadOutcome.Reset, await TestSockets.ReadOnceAsync(client));
        Assert.Equal(0, server.AcceptedCount);
    }

    [Fact]
    public async Task RefuseNewConnections_ResetsNewOnesAndKeepsExistingOnes()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        using var existing = await TestSockets.ConnectAsync(proxy.EndPoint);
        await TestSockets.SendAllAsync(existing, "1"u8.ToArray());
        await TestSockets.ReadExactlyAsync(existing, 1);

        proxy.RefuseNewConnections(true);
        Assert.True(proxy.IsRefusingNewConnections);
        await AssertResetAsync(proxy.EndPoint);
        Assert.Equal(1, server.AcceptedCount);
        Assert.Equal(1, proxy.AcceptedConnections);

        await TestSockets.SendAllAsync(existing, "2"u8.ToArray());
        Assert.Equal("2"u8.ToArray(), await TestSockets.ReadExactlyAsync(existing, 1));

        proxy.RefuseNewConnections(false);
        using var fresh = await TestSockets.ConnectAsync(proxy.EndPoint);
        await TestSockets.SendAllAsync(fresh, "3"u8.ToArray());
        Assert.Equal("3"u8.ToArray(), await TestSockets.ReadExactlyAsync(fresh, 1));
        Assert.Equal(2, server.AcceptedCount);
    }

    [Fact]
    public async Task UnreachableTarget_ResetsTheClient()
    {
        IPEndPoint deadEndPoint;
        using (var placeholder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            placeholder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            deadEndPoint = (IPEndPoint)placeholder.LocalEndPoint!;
        }

        await using var proxy = TcpFaultProxy.Start(deadEndPoint);

        await AssertResetAsync(proxy.EndPoint);
        await Eventually.WaitUntilAsync(() => proxy.ActiveConnections == 0, "the connection is gone");
    }

    [Fact]
    public async Task ClientFin_IsPropagatedToServer()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        using var client = await TestSockets.ConnectAsync(proxy.EndPoint);
        var payload = TestSockets.RandomBytes(50_000, seed: 7);

        await TestSockets.SendAllAsync(client, payload);
        client.Shutdown(SocketShutdown.Send);

        // The echo server answers the FIN with its own FIN after echoing everything.
        var serverSide = await server.NextConnectionAsync();
        Assert.Equal(CloseKind.Fin, await serverSide.Closed.WaitAsync(TestTimeouts.Generous));
        var (data, end) = await TestSockets.ReadToEndAsync(client);
        Assert.Equal(payload, data);
        Assert.Equal(ReadOutcome.Fin, end);
        await Eventually.WaitUntilAsync(() => proxy.ActiveConnections == 0, "the connection is closed");
    }

    [Fact]
    public async Task ServerFin_IsPropagatedToClient_WhileClientCanStillSend()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        using var client = await TestSockets.ConnectAsync(proxy.EndPoint);
        var serverSide = await server.NextConnectionAsync();

        serverSide.Socket.Shutdown(SocketShutdown.Send);

        Assert.Equal(ReadOutcome.Fin, await TestSockets.ReadOnceAsync(client));
        await TestSockets.SendAllAsync(client, "still here"u8.ToArray());
        await Eventually.WaitUntilAsync(() => serverSide.BytesReceived == 10, "the half-closed server receives data");
    }

    [Fact]
    public async Task ServerReset_IsPropagatedToClient()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        using var client = await TestSockets.ConnectAsync(proxy.EndPoint);
        var serverSide = await server.NextConnectionAsync();

        TestSockets.Reset(serverSide.Socket);

        Assert.Equal(ReadOutcome.Reset, await TestSockets.ReadOnceAsync(client));
        await Eventually.WaitUntilAsync(() => proxy.ActiveConnections == 0, "the connection is gone");
    }

    [Fact]
    public async Task ClientReset_IsPropagatedToServer()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        var client = await TestSockets.ConnectAsync(proxy.EndPoint);
        var serverSide = await server.NextConnectionAsync();

        TestSockets.Reset(client);

        Assert.Equal(CloseKind.Reset, await serverSide.Closed.WaitAsync(TestTimeouts.Generous));
    }

    [Fact]
    public async Task Target_CanBeChangedForNewConnections()
    {
        await using var first = EchoServer.Start();
        await using var second = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(first.EndPoint);
        using var before = await TestSockets.ConnectAsync(proxy.EndPoint);
        await TestSockets.SendAllAsync(before, "a"u8.ToArray());
        await TestSockets.ReadExactlyAsync(before, 1);

        proxy.Target = second.EndPoint;
        using var after = await TestSockets.ConnectAsync(proxy.EndPoint);
        await TestSockets.SendAllAsync(after, "b"u8.ToArray());
        await TestSockets.ReadExactlyAsync(after, 1);

        Assert.Equal(second.EndPoint, proxy.Target);
        Assert.Equal(1, first.AcceptedCount);
        Assert.Equal(1, second.AcceptedCount);
    }

    [Fact]
    public async Task DnsEndPointTarget_IsResolvedAndConnected()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(new DnsEndPoint("localhost", server.EndPoint.Port));
        using var client = await TestSockets.ConnectAsync(proxy.EndPoint);

        await TestSockets.SendAllAsync(client, "dns"u8.ToArray());

        Assert.Equal("dns"u8.ToArray(), await TestSockets.ReadExactlyAsync(client, 3));
    }

    [Fact]
    public async Task DisposeAsync_StopsListeningAndResetsConnections()
    {
        await using var server = EchoServer.Start();
        var proxy = TcpFaultProxy.Start(server.EndPoint);
        var endPoint = proxy.EndPoint;
        using var client = await TestSockets.ConnectAsync(endPoint);
        await TestSockets.SendAllAsync(client, "x"u8.ToArray());
        await TestSockets.ReadExactlyAsync(client, 1);
        var serverSide = await server.NextConnectionAsync();

        await proxy.DisposeAsync();

        Assert.Equal(0, proxy.ActiveConnections);
        Assert.Equal(ReadOutcome.Reset, await TestSockets.ReadOnceAsync(client));
        Assert.Equal(CloseKind.Reset, await serverSide.Closed.WaitAsync(TestTimeouts.Generous));
        var refused = await Assert.ThrowsAsync<SocketException>(() => TestSockets.ConnectAsync(endPoint));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        await proxy.DisposeAsync(); // Idempotent.
    }

    [Fact]
    public async Task Start_ListensOnLoopbackByDefault_AndHonoursOptions()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);
        Assert.Equal(IPAddress.Loopback, proxy.EndPoint.Address);
        Assert.NotEqual(0, proxy.EndPoint.Port);

        var options = new FaultProxyOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0), BufferSize = 3 };
        await using var tiny = TcpFaultProxy.Start(server.EndPoint, options);
        using var client = await TestSockets.ConnectAsync(tiny.EndPoint);
        var payload = TestSockets.RandomBytes(1000, seed: 8);
        var echoed = TestSockets.ReadExactlyAsync(client, payload.Length);
        await TestSockets.SendAllAsync(client, payload);
        Assert.Equal(payload, await echoed);
    }

    [Fact]
    public async Task InvalidArguments_AreRejected()
    {
        await using var server = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(server.EndPoint);

        Assert.Throws<ArgumentOutOfRangeException>(() => proxy.Delay(TimeSpan.FromMilliseconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => proxy.Delay(TcpFaultProxy.MaxDelay + TimeSpan.FromTicks(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => proxy.Slice(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => proxy.Slice(1, TimeSpan.FromMilliseconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => proxy.Pass((FaultDirection)42));
        Assert.Throws<ArgumentNullException>(() => proxy.Target = null!);
        Assert.Throws<ArgumentNullException>(() => TcpFaultProxy.Start(null!));
        Assert.Throws<ArgumentOutOfRangeException>(
            () => TcpFaultProxy.Start(server.EndPoint, new FaultProxyOptions { BufferSize = 0 }));
        Assert.Equal(FaultMode.Pass, proxy.Mode);
    }

    /// <summary>A generous floor: paced one-byte writes coalesce only when the receiver falls far behind.</summary>
    private const int SliceMinimumReads = 16;

    /// <summary>
    /// Connects and expects a reset. The reset can beat the connect's completion, in which case the connect itself
    /// reports it.
    /// </summary>
    private static async Task AssertResetAsync(IPEndPoint endPoint)
    {
        Socket socket;
        try
        {
            socket = await TestSockets.ConnectAsync(endPoint);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
        {
            return;
        }

        using (socket)
        {
            Assert.Equal(ReadOutcome.Reset, await TestSockets.ReadOnceAsync(socket));
        }
    }
}
