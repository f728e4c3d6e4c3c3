using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tether.Authentication;
using Tether.Hosting.Upstream;

namespace Tether.Hosting.Auth;

/// <summary>
/// Asks an HTTP back end whether each new connection may come in, and under which client id: POSTs the HELLO's facts
/// (claimed client id, token, remote address) to <see cref="HttpConnectAuthOptions.Url"/> and follows the answer
/// (contract in docs/operations.md). Answers are cached briefly by token and claimed id. When the endpoint cannot
/// answer (down, timeout, not 2xx, an answer off the contract) the connection is refused with <c>SERVER_BUSY</c> and a
/// retry hint, never let in: clients come back with backoff.
/// </summary>
public sealed class HttpConnectAuthenticator : IConnectionAuthenticator, IDisposable
{
    private readonly HttpConnectAuthOptions _options;
    private readonly Uri _url;
    private readonly HttpClient _http;
    private readonly AuthVerdictCache _cache;
    private readonly ConnectAuthMetrics _metrics;
    private readonly ConnectAuthLog _log;
    private readonly TimeProvider _time;

    /// <summary>Creates the authenticator; <paramref name="options"/> are validated here.</summary>
    public HttpConnectAuthenticator(HttpConnectAuthOptions options, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _url = new Uri(options.Url!, UriKind.Absolute);
        _time = timeProvider ?? TimeProvider.System;
        _http = HttpHeaderSettings.CreateClient(options.Timeout);
        _cache = new AuthVerdictCache(_time, options.CacheTime, options.MaxCacheEntries);
        _metrics = new ConnectAuthMetrics(meterFactory);
        _log = new ConnectAuthLog((loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Tether.Hosting.Auth"), _time);
    }

    /// <inheritdoc />
    public async ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = AuthVerdictCache.KeyOf(request.ClaimedClientId, request.Token.Span);
        if (_cache.TryGet(key, out var cached))
        {
            return Report(request, cached, cached: true);
        }

        var (verdict, problem) = await AskAsync(request, cancellationToken).ConfigureAwait(false);
        if (verdict is null)
        {
            var retryAfter = _options.RetryAfter + (_options.RetryAfterJitter * Random.Shared.NextDouble());
            _metrics.Record("unavailable", cached: false);
            _log.Unavailable(request.ClaimedClientId, request.RemoteEndPoint, problem, retryAfter);
            return AuthenticationResult.Unavailable("authorisation unavailable, try again later", retryAfter);
        }

        _cache.Add(key, verdict);
        return Report(request, verdict, cached: false);
    }

    /// <summary>Releases the HTTP client.</summary>
    public void Dispose()
    {
        _http.Dispose();
        _metrics.Dispose();
    }

    private AuthenticationResult Report(AuthenticationRequest request, AuthenticationResult verdict, bool cached)
    {
        if (verdict.IsAccepted)
        {
            _metrics.Record("allowed", cached);
            _log.Allowed(request.ClaimedClientId, verdict.ClientId, request.RemoteEndPoint, cached);
        }
        else
        {
            _metrics.Record("denied", cached);
            _log.Denied(request.ClaimedClientId, request.RemoteEndPoint, verdict.Reason, cached);
        }

        return verdict;
    }

    /// <summary>The endpoint's verdict, or null and why there is none.</summary>
    private async Task<(AuthenticationResult? Verdict, string Problem)> AskAsync(AuthenticationRequest request, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var message = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(AuthRequestBody.Write(request)) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        HttpHeaderSettings.Apply(message, _options.BearerToken, _options.Headers);
        var started = _time.GetTimestamp();
        try
        {
            using var response = await _http.SendAsync(message, linked.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return (null, $"HTTP {(int)response.StatusCode}");
            }

            var body = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
            var verdict = AuthRequestBody.Read(body, request.ClaimedClientId, out var problem);
            return (verdict, problem);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"no answer within {_options.Timeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException ex)
        {
            return (null, ex.GetBaseException().Message);
        }
        finally
        {
            _metrics.RequestDuration.Record(_time.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}
