using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Tether.Hosting.Upstream;

namespace Tether.Hosting.Tests;

/// <summary>The parts of upstream delivery that need no network: budgets, batching, backoff, the response contract, settings.</summary>
public class UpstreamUnitTests
{
    [Fact]
    public void A_client_pauses_at_its_budget_and_resumes_when_its_events_are_delivered()
    {
        var queue = new UpstreamQueue(maxPerClient: 100, maxTotal: 1000);
        var client = new ClientBudget(1);
        queue.Enqueue(Event(client, 60));
        Assert.Null(queue.PauseIfOverBudget(client));

        queue.Enqueue(Event(client, 60));
        var paused = queue.PauseIfOverBudget(client);
        Assert.NotNull(paused);
        Assert.Equal(1, queue.PausedClients);

        var batch = new List<UpstreamEvent>();
        queue.TakeBatch(batch, maxEvents: 1, maxBytes: 1000);
        Assert.Equal(1, queue.Delivered(batch));
        Assert.True(paused.IsCompletedSuccessfully);
        Assert.Equal(60, queue.QueuedBytes);
    }

    [Fact]
    public void The_total_budget_pauses_a_client_that_is_within_its_own()
    {
        var queue = new UpstreamQueue(maxPerClient: 100, maxTotal: 150);
        var heavy = new ClientBudget(1);
        var light = new ClientBudget(2);
        queue.Enqueue(Event(heavy, 90));
        queue.Enqueue(Event(light, 70));

        Assert.NotNull(queue.PauseIfOverBudget(light));
        Assert.True(queue.Unpause(light));
        Assert.Equal(0, queue.PausedClients);
    }

    [Fact]
    public void A_batch_keeps_queue_order_and_its_limits_but_always_takes_one()
    {
        var queue = new UpstreamQueue(1000, 1000);
        var client = new ClientBudget(1);
        var first = Event(client, 300);
        queue.Enqueue(first);
        queue.Enqueue(Event(client, 10));
        var batch = new List<UpstreamEvent>();

        queue.TakeBatch(batch, maxEvents: 10, maxBytes: 100);

        Assert.Same(first, Assert.Single(batch));
    }

    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 200)]
    [InlineData(4, 800)]
    [InlineData(10, 5000)]
    public void Backoff_is_exponential_capped_and_fully_jittered(int attempt, int ceilingMs)
    {
        var initial = TimeSpan.FromMilliseconds(100);
        var cap = TimeSpan.FromSeconds(5);

        Assert.Equal(TimeSpan.FromMilliseconds(ceilingMs), RetryBackoff.Next(attempt, initial, cap, random: 1));
        Assert.Equal(TimeSpan.FromMilliseconds(ceilingMs / 2.0), RetryBackoff.Next(attempt, initial, cap, random: 0.5));
        Assert.Equal(TimeSpan.Zero, RetryBackoff.Next(attempt, initial, cap, random: 0));
    }

    [Fact]
    public void Retry_After_is_honoured_when_longer_than_the_backoff_up_to_its_cap()
    {
        var options = new UpstreamOptions { MaxRetryAfter = TimeSpan.FromSeconds(30) };

        Assert.Equal(TimeSpan.FromSeconds(7), RetryBackoff.Delay(1, TimeSpan.FromSeconds(7), options, random: 1));
        Assert.Equal(TimeSpan.FromSeconds(30), RetryBackoff.Delay(1, TimeSpan.FromHours(1), options, random: 1));
        Assert.Equal(TimeSpan.FromMilliseconds(100), RetryBackoff.Delay(1, TimeSpan.FromMilliseconds(1), options, random: 1));
    }

    [Theory]
    [InlineData(200, "Delivered")]
    [InlineData(204, "Delivered")]
    [InlineData(408, "Retry")]
    [InlineData(429, "Retry")]
    [InlineData(500, "Retry")]
    [InlineData(503, "Retry")]
    [InlineData(400, "Rejected")]
    [InlineData(404, "Rejected")]
    [InlineData(302, "Rejected")]
    public void The_response_contract(int status, string outcome)
    {
        var expected = Enum.Parse<DeliveryOutcome>(outcome);
        using var response = new HttpResponseMessage((HttpStatusCode)status);
        response.Headers.TryAddWithoutValidation("Retry-After", "12");

        var attempt = DeliveryAttempt.FromStatus(response, DateTimeOffset.UtcNow);

        Assert.Equal(expected, attempt.Outcome);
        Assert.Equal(expected == DeliveryOutcome.Retry ? TimeSpan.FromSeconds(12) : null, attempt.RetryAfter);
    }

    [Fact]
    public async Task Settings_come_from_Tether_Upstream_and_every_bad_one_is_named_at_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tether:Upstream:Url"] = "ftp://nope",
            ["Tether:Upstream:MaxBatchEvents"] = "0",
        });
        builder.Services.AddTetherUpstream();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(2, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.Contains("Tether:Upstream:Url", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Tether:Upstream:MaxBatchEvents", StringComparison.Ordinal));
    }

    [Fact]
    public void Settings_bind_from_configuration_headers_included()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tether:Upstream:Url"] = "http://127.0.0.1:9/events",
            ["Tether:Upstream:MaxPendingBytesPerClient"] = "4096",
            ["Tether:Upstream:Headers:X-Api-Key"] = "k",
        });
        builder.Services.AddTetherUpstream(o => o.BearerToken = "b");
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptions<UpstreamOptions>>().Value;

        Assert.Equal(("http://127.0.0.1:9/events", 4096L, "k", "b"), (options.Url, options.MaxPendingBytesPerClient, options.Headers["X-Api-Key"], options.BearerToken));
        using var handler = host.Services.GetRequiredService<UpstreamHandler>();
    }

    private static UpstreamEvent Event(ClientBudget client, int size) => new(new byte[size], client);
}
