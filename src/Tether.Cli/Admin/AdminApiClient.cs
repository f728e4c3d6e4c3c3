using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Tether.Cli.Admin;

/// <summary>
/// Calls a server's admin API for the push and admin commands: the key as <c>Authorization: Bearer</c>, JSON in and
/// out, and every failure (unreachable, 401, 404, an error answer) one <see cref="CliException"/> line.
/// </summary>
internal sealed class AdminApiClient : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(100);
    private readonly HttpClient _http;
    private readonly Uri _baseAddress;

    public AdminApiClient(Uri baseAddress, string? apiKey)
    {
        _baseAddress = baseAddress;
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = RequestTimeout };
        if (apiKey is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
    }

    /// <summary>Sends a request and returns the JSON answer of a success; throws <see cref="CliException"/> otherwise.</summary>
    public async Task<JsonElement> SendAsync(HttpMethod method, string path, string? json, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException($"cannot reach the admin API at {_baseAddress}: {ex.Message}", ExitCodes.Failure);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"the admin API at {_baseAddress} did not answer within {RequestTimeout.TotalSeconds:0} s", ExitCodes.Failure);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var body = TryParse(text);
            if (response.IsSuccessStatusCode)
            {
                return body ?? default;
            }

            var error = body is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty("error", out var e) ? e.GetString() : null;
            throw new CliException(Describe(response.StatusCode, error), ExitCodes.Failure);
        }
    }

    public void Dispose() => _http.Dispose();

    private static string Describe(HttpStatusCode status, string? error) => status switch
    {
        HttpStatusCode.Unauthorized => "the admin API refused the key: pass --api-key-file PATH or set TETHER_API_KEY (a server without a key file logs the key it made up)",
        _ => error ?? $"the admin API answered {(int)status} {status}",
    };

    private static JsonElement? TryParse(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
