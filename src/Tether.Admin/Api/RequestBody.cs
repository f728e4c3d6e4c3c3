using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace Tether.Admin.Api;

/// <summary>Reads a JSON body and its payload, with one-line 400 answers (ArgumentException) for what is wrong with them.</summary>
internal static class RequestBody
{
    public static async Task<T> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        if (request.ContentLength == 0)
        {
            throw new ArgumentException("the request has no body: send JSON like {\"data\":\"text\"}");
        }

        try
        {
            return await JsonSerializer.DeserializeAsync(request.Body, type, cancellationToken).ConfigureAwait(false)
                ?? throw new ArgumentException("the body is JSON null: send an object like {\"data\":\"text\"}");
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"the body is not the JSON expected: {ex.Message}");
        }
    }

    /// <summary>The message bytes of <c>data</c> (UTF-8) or <c>base64</c>: exactly one of them.</summary>
    public static byte[] Payload(string? data, string? base64)
    {
        if ((data is null) == (base64 is null))
        {
            throw new ArgumentException("give the message as exactly one of \"data\" (text) or \"base64\" (bytes)");
        }

        if (data is not null)
        {
            return Encoding.UTF8.GetBytes(data);
        }

        try
        {
            return Convert.FromBase64String(base64!);
        }
        catch (FormatException)
        {
            throw new ArgumentException("\"base64\" is not valid base64");
        }
    }
}
