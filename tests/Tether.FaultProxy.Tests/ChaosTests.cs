using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Tether.TestSupport;

namespace Tether.FaultProxy.Tests;

/// <summary>
/// Flips faults at random under concurrent traffic, then checks that disposal is prompt and clean. Kept in the same
/// collection as the other proxy tests so the process-wide checks (unobserved exceptions, open sockets) see only
/// this test's activity.
/// </summary>
[Collection(nameof(TcpFaultProxyTests))]
public sealed class ChaosTests
{
    [Fact]
    public async Task RandomFaultsUnderLoad_DisposeCleanlyWithoutLeaks()
    {
        var unobserved = new ConcurrentQueue<Exception>();
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e) => unobserved.Enqueue(e.Exception);
        var socketsBefore = CountOpenSockets();
        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            await using (var server = EchoServer.Start())
            {
                var proxy = TcpFaultProxy.Start(server.EndPoint);
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
                var clients = Enumerable.Range(0, 6).Select(i => ClientLoopAsync(proxy.EndPoint, seed: i, stop.Token)).ToArray();
                var random = new Random(42);
                while (!stop.IsCancellationRequested)
                {
                    switch (random.Next(7))
                    {
                        case 0: proxy.Pass(); break;
                        case 1: proxy.BlackHole((FaultDirection)random.Next(3)); break;
                        case 2: proxy.Delay(TimeSpan.FromMilliseconds(random.Next(10)), (FaultDirection)random.Next(3)); break;
                        case 3: proxy.Slice(random.Next(1, 8)); break;
                        case 4: proxy.Slice(random.Next(1, 8), TimeSpan.FromMilliseconds(1), (FaultDirection)random.Next(3)); break;
                        case 5: proxy.ResetAll(); break;
                        default: proxy.RefuseNewConnections(random.Next(2) == 0); break;
                    }

                    await Task.Delay(15);
                }

                var completed = await Task.WhenAll(clients).WaitAsync(TestTimeouts.Generous);
                Assert.True(completed.Sum() > 0, "No round trip ever completed.");
                Assert.True(proxy.AcceptedConnections > 0);
                await proxy.DisposeAsync().AsTask().WaitAsync(TestTimeouts.Generous);
                Assert.Equal(0, proxy.ActiveConnections);
            }

            // Before any forced collection: a socket closed only by its finalizer counts as leaked.
            if (socketsBefore >= 0)
            {
                await Eventually.WaitUntilAsync(() => CountOpenSockets() <= socketsBefore, "every socket is closed");
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Assert.Empty(unobserved);
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }
    }

    /// <summary>Connects, exchanges small messages and reconnects on any failure until stopped; returns the round trips done.</summary>
    private static async Task<int> ClientLoopAsync(IPEndPoint endPoint, int seed, CancellationToken stop)
    {
        var roundTrips = 0;
        var random = new Random(seed);
        var buffer = new byte[256];
        while (!stop.IsCancellationRequested)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop);
                attempt.CancelAfter(TimeSpan.FromMilliseconds(200));
                await socket.ConnectAsync(endPoint, attempt.Token);
                for (var i = 0; i < 5; i++)
                {
                    var message = TestSockets.RandomBytes(random.Next(1, 100), seed: random.Next());
                    await socket.SendAsync(message, SocketFlags.None, attempt.Token);
                    var received = 0;
                    while (received < message.Length)
                    {
                        var read = await socket.ReceiveAsync(buffer.AsMemory(received, message.Length - received), SocketFlags.None, attempt.Token);
                        if (read == 0)
                        {
                            break;
                        }

                        received += read;
                    }

                    roundTrips += received == message.Length ? 1 : 0;
                }

                if (random.Next(2) == 0)
                {
                    socket.Shutdown(SocketShutdown.Send);
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                // Expected under faults: reconnect.
            }
        }

        return roundTrips;
    }

    /// <summary>Open sockets of this process, or -1 where /proc is not available.</summary>
    private static int CountOpenSockets()
    {
        const string fds = "/proc/self/fd";
        if (!Directory.Exists(fds))
        {
            return -1;
        }

        var count = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries(fds))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true)
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // The descriptor closed while enumerating.
            }
        }

        return count;
    }
}
