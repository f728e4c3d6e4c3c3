using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Tether.Cli.Tests;

/// <summary>
/// A back end for <c>tether serve --upstream-url</c>: an <see cref="HttpListener"/> on a free loopback port that
/// records the events of every batch it accepts, or answers 503 to all while <see cref="Down"/>.
/// </summary>
internal sealed class UpstreamEndpoint : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Task _loop;
    private readonly List<UpstreamEvent> _events = [];
    private readonly List<string> _batchIds = [];
    private int _refused;

    private UpstreamEndpoint(HttpListener listener, string url)
    {
        _listener = listener;
        Url = url;
        _loop = Task.Run(ServeAsync);
    }

    public string Url { get; }

    public volatile bool Down;

    public int Refused => Volatile.Read(ref _refused);

    public IReadOnlyList<UpstreamEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public IReadOnlyList<string> AcceptedBatchIds
    {
        get
        {
            lock (_events)
            {
                return [.. _batchIds];
            }
        }
    }

    /// <summary>The payloads of a client's message events, in the order they arrived.</summary>
    public IReadOnlyList<string> Messages(string clientId) =>
        [.. Events.Where(e => e.Type == "message" && e.ClientId == clientId).Select(e => e.Data ?? string.Empty)];

    public static Task<UpstreamEndpoint> StartAsync()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var url = $"http://127.0.0.1:{port}/events/";
        var listener = new HttpListener();
        listener.Prefixes.Add(url);
        listener.Start();
        return Task.FromResult(new UpstreamEndpoint(listener, url));
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using (context.Response)
            {
                if (Down)
                {
                    Interlocked.Increment(ref _refused);
                    context.Response.StatusCode = 503;
                    continue;
                }

                using var body = await JsonDocument.ParseAsync(context.Request.InputStream);
                lock (_events)
                {
                    _batchIds.Add(body.RootElement.GetProperty("batchId").GetString()!);
                    foreach (var e in body.RootElement.GetProperty("events").EnumerateArray())
                    {
                        _events.Add(new UpstreamEvent(
                            e.GetProperty("type").GetString()!,
                            e.TryGetProperty("clientId", out var id) ? id.GetString() : null,
                            e.TryGetProperty("data", out var data) ? data.GetString() : null));
                    }
                }

                context.Response.StatusCode = 200;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}

internal sealed record UpstreamEvent(string Type, string? ClientId, string? Data);
