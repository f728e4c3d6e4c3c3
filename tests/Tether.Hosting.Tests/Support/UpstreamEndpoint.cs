using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tether.Hosting.Tests.Support;

/// <summary>
/// A real HTTP back end on 127.0.0.1:0 (Kestrel) for the upstream and auth tests: <c>POST /events</c> records every
/// batch it is sent, and answers <see cref="Status"/> (2xx: the batch counts as delivered); <c>POST /auth</c> records
/// each request and answers <see cref="AuthAnswer"/> with <see cref="AuthStatus"/>. Either can be held with a gate.
/// </summary>
internal sealed class UpstreamEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly List<ReceivedBatch> _attempts = [];
    private readonly List<JsonElement> _authRequests = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private UpstreamEndpoint(WebApplication app) => _app = app;

    /// <summary>What POST /events answers now.</summary>
    public int Status { get; set; } = 200;

    /// <summary>A Retry-After (seconds) sent with non-2xx answers, when set.</summary>
    public int? RetryAfterSeconds { get; set; }

    /// <summary>When set, POST /events waits for it before answering (a slow endpoint).</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>What POST /auth answers now (a JSON text) and with which status.</summary>
    public string AuthAnswer { get; set; } = "{\"allow\": true}";

    public int AuthStatus { get; set; } = 200;

    public Uri Url { get; private set; } = null!;

    public string EventsUrl => new Uri(Url, "/events").ToString();

    public string AuthUrl => new Uri(Url, "/auth").ToString();

    /// <summary>Starts on <paramref name="port"/> (0: any free one).</summary>
    public static async Task<UpstreamEndpoint> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var endpoint = new UpstreamEndpoint(app);
        app.MapPost("/events", endpoint.OnEventsAsync);
        app.MapPost("/auth", endpoint.OnAuthAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        endpoint.Url = new Uri(address);
        return endpoint;
    }

    /// <summary>Every POST /events so far, delivered or not, in arrival order.</summary>
    public IReadOnlyList<ReceivedBatch> Attempts
    {
        get
        {
            lock (_lock)
            {
                return [.. _attempts];
            }
        }
    }

    /// <summary>The events of the batches answered 2xx, in the order they were answered.</summary>
    public IReadOnlyList<ReceivedEvent> Delivered => [.. Attempts.Where(b => b.Delivered).SelectMany(b => b.Events)];

    public IReadOnlyList<JsonElement> AuthRequests
    {
        get
        {
            lock (_lock)
            {
                return [.. _authRequests];
            }
        }
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds, checking after each request.</summary>
    public async Task WaitUntilAsync(Func<UpstreamEndpoint, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                changed = _changed.Task;
            }

            if (condition(this))
            {
                return;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"{what} did not happen within 30 s");
            }

            await Task.WhenAny(changed, Task.Delay(left));
        }
    }

    public async ValueTask DisposeAsync()
    {
        Gate?.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task OnEventsAsync(HttpContext context)
    {
        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        var gate = Gate;
        if (gate is not null)
        {
            await gate.Task;
        }

        var status = Status;
        var batch = new ReceivedBatch(
            body.RootElement.GetProperty("batchId").GetString()!,
            [.. body.RootElement.GetProperty("events").EnumerateArray().Select(ReceivedEvent.From)],
            status,
            context.Request.Headers.Authorization.ToString());
        Record(() => _attempts.Add(batch));
        context.Response.StatusCode = status;
        if (!batch.Delivered && RetryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    private async Task OnAuthAsync(HttpContext context)
    {
        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        // The answer is fixed before the request is seen, so a test that waits for the request and then changes the
        // answer changes only the next one.
        var (status, answer) = (AuthStatus, AuthAnswer);
        Record(() => _authRequests.Add(body.RootElement.Clone()));
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer);
    }

    private void Record(Action change)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            change();
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }
}

internal sealed record ReceivedBatch(string BatchId, IReadOnlyList<ReceivedEvent> Events, int Status, string Authorization)
{
    public bool Delivered => Status is >= 200 and < 300;
}

internal sealed record ReceivedEvent(string Type, string? ClientId, long ConnectionId, ulong? Seq, string? Data, string? Base64, string? Reason, int? CloseCode, string? SessionId)
{
    public static ReceivedEvent From(JsonElement e) => new(
        e.GetProperty("type").GetString()!,
        e.GetProperty("clientId").GetString(),
        e.GetProperty("connectionId").GetInt64(),
        e.TryGetProperty("seq", out var seq) ? seq.GetUInt64() : null,
        e.TryGetProperty("data", out var data) ? data.GetString() : null,
        e.TryGetProperty("base64", out var base64) ? base64.GetString() : null,
        e.TryGetProperty("reason", out var reason) ? reason.GetString() : null,
        e.TryGetProperty("closeCode", out var code) ? code.GetInt32() : null,
        e.TryGetProperty("sessionId", out var session) ? session.GetString() : null);
}
