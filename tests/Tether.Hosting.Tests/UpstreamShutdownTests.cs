using Microsoft.Extensions.Time.Testing;
using Tether.Hosting.Tests.Support;
using Tether.Hosting.Upstream;
using Tether.Server;

namespace Tether.Hosting.Tests;

/// <summary>What happens to queued events when the upstream stops: delivered within the shutdown timeout, else given up.</summary>
public class UpstreamShutdownTests
{
    [Fact]
    public async Task Stopping_delivers_what_is_queued_including_the_disconnects()
    {
        var endpoint = await UpstreamEndpoint.StartAsync();
        var left = new DisconnectSignal();
        await using var fixture = await UpstreamServer.StartWithAsync(endpoint, new UpstreamHandler(UpstreamServer.Options(endpoint), left));
        var client = await fixture.ConnectAsync("leaving");
        fixture.Endpoint.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await UpstreamDeliveryTests.SendAsync(client, "m", 10);
        await fixture.Server.StopAsync();

        // A server's stop does not wait for its disconnect callbacks; the handler queues the disconnect before it
        // calls the inner handler, so once the inner one heard it, it is queued.
        await left.Heard.Task.WaitAsync(TimeSpan.FromSeconds(20));

        var stopping = fixture.Handler.StopAsync();
        fixture.Endpoint.Gate.SetResult();
        await stopping;

        var events = fixture.Endpoint.Delivered;
        UpstreamDeliveryTests.AssertInOrder(events, "leaving", "m", 10);
        Assert.Equal("disconnect", events[^1].Type);
        Assert.Equal(0, fixture.Handler.PendingBytes);
    }

    [Fact]
    public async Task An_endpoint_that_does_not_answer_within_the_shutdown_timeout_costs_the_queued_events_not_the_shutdown()
    {
        var endpoint = await UpstreamEndpoint.StartAsync();
        endpoint.Status = 503;
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = UpstreamServer.Options(endpoint);
        options.MaxBatchDelay = TimeSpan.Zero;
        options.ShutdownTimeout = TimeSpan.FromSeconds(10);
        var handler = new UpstreamHandler(options, timeProvider: time);
        await using var fixture = await UpstreamServer.StartWithAsync(endpoint, handler);
        await fixture.ConnectAsync("stuck");
        await endpoint.WaitUntilAsync(e => e.Attempts.Count > 0, "a failed attempt");

        var stopping = handler.StopAsync();
        Assert.False(stopping.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(10));
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(0, handler.PendingBytes);
        Assert.All(endpoint.Attempts, b => Assert.False(b.Delivered));
    }

    private sealed class DisconnectSignal : TetherServerHandler
    {
        public TaskCompletionSource Heard { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ValueTask OnDisconnectedAsync(TetherConnection connection, DisconnectInfo info)
        {
            Heard.TrySetResult();
            return ValueTask.CompletedTask;
        }
    }
}
