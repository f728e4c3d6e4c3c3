using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Tether.Authentication;

namespace Tether.Hosting.Auth;

/// <summary>
/// The auth request and answer of the contract (docs/operations.md): <c>{"clientId", "token" | "tokenBase64",
/// "remoteAddress"}</c> out, <c>{"allow": true, "clientId": ...}</c> or <c>{"allow": false, "reason": ...}</c> back.
/// </summary>
internal static class AuthRequestBody
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Write(AuthenticationRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteString("clientId", request.ClaimedClientId);
            var token = request.Token.Span;
            if (Utf8.IsValid(token))
            {
                json.WriteString("token", token);
            }
            else
            {
                json.WriteBase64String("tokenBase64", token);
            }

            json.WriteString("remoteAddress", request.RemoteEndPoint?.ToString());
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The verdict in <paramref name="body"/>, or null (with <paramref name="problem"/>) when it does not follow the contract.</summary>
    public static AuthenticationResult? Read(ReadOnlySpan<byte> body, string? claimedClientId, out string problem)
    {
        problem = string.Empty;
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("allow", out var allow) || allow.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                problem = "the answer has no boolean 'allow'";
                return null;
            }

            if (!allow.GetBoolean())
            {
                var reason = root.TryGetProperty("reason", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null;
                return AuthenticationResult.Reject(string.IsNullOrEmpty(reason) ? "denied by the auth endpoint" : reason);
            }

            if (!root.TryGetProperty("clientId", out var id) || id.ValueKind == JsonValueKind.Null)
            {
                return AuthenticationResult.Accept(claimedClientId);
            }

            if (id.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(id.GetString()))
            {
                problem = "the answer's 'clientId' is not a non-empty string";
                return null;
            }

            return AuthenticationResult.Accept(id.GetString());
        }
        catch (JsonException ex)
        {
            problem = $"the answer is not JSON: {ex.Message}";
            return null;
        }
    }
}
