using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Tether.Authentication;

/// <summary>
/// Tokens that carry a client id and an expiry, signed with HMAC-SHA256 under a secret the server and the token issuer
/// share: <c>v1.{client id, base64url of UTF-8}.{expiry, Unix seconds}.{signature, base64url}</c>, where the signature
/// covers everything before its dot. Short, printable, and made by any language with an HMAC in a few lines
/// (docs/security.md). Verification is in constant time in the signature, and checks it before the expiry, so an
/// <c>AUTH_EXPIRED</c> is only ever said of a token the server itself could have issued.
/// </summary>
public static class SignedToken
{
    /// <summary>Shortest secret accepted, in bytes.</summary>
    public const int MinSecretLength = 16;

    /// <summary>Longest client id a token may carry, in UTF-8 bytes (the protocol's limit).</summary>
    public const int MaxClientIdLength = 256;

    private const string Version = "v1";
    private const int SignatureLength = 32;

    /// <summary>Issues a token for <paramref name="clientId"/> that expires at <paramref name="expiresAt"/>.</summary>
    public static string Create(ReadOnlySpan<byte> secret, string clientId, DateTimeOffset expiresAt)
    {
        ValidateSecret(secret);
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        var id = Encoding.UTF8.GetBytes(clientId);
        if (id.Length > MaxClientIdLength)
        {
            throw new ArgumentException($"a client id is at most {MaxClientIdLength} UTF-8 bytes", nameof(clientId));
        }

        var signed = string.Create(CultureInfo.InvariantCulture, $"{Version}.{Base64Url.EncodeToString(id)}.{expiresAt.ToUnixTimeSeconds()}");
        Span<byte> signature = stackalloc byte[SignatureLength];
        HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signed), signature);
        return $"{signed}.{Base64Url.EncodeToString(signature)}";
    }

    /// <summary>
    /// Checks <paramref name="token"/> (the bytes of a HELLO) against <paramref name="secret"/> at <paramref name="now"/>:
    /// <see cref="AuthenticationResult.Accept"/> with the token's client id, or a rejection saying why.
    /// </summary>
    public static AuthenticationResult Verify(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> token, DateTimeOffset now)
    {
        ValidateSecret(secret);
        if (token.IsEmpty)
        {
            return AuthenticationResult.Reject("a token is required");
        }

        // v1 . id . expiry . signature
        var lastDot = token.LastIndexOf((byte)'.');
        if (lastDot < 0 || !token.StartsWith("v1."u8))
        {
            return AuthenticationResult.Reject("malformed token");
        }

        var signed = token[..lastDot];
        Span<byte> presented = stackalloc byte[SignatureLength + 3];
        if (Base64Url.DecodeFromUtf8(token[(lastDot + 1)..], presented, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != SignatureLength)
        {
            return AuthenticationResult.Reject("malformed token");
        }

        Span<byte> expected = stackalloc byte[SignatureLength];
        HMACSHA256.HashData(secret, signed, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, presented[..SignatureLength]))
        {
            return AuthenticationResult.Reject("bad token signature");
        }

        // Signed by us from here on: the fields are well formed unless the issuer was not this code.
        var fields = signed[3..];
        var dot = fields.IndexOf((byte)'.');
        if (dot <= 0
            || !long.TryParse(fields[(dot + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var expiresAt))
        {
            return AuthenticationResult.Reject("malformed token");
        }

        string clientId;
        try
        {
            var id = Base64Url.DecodeFromUtf8(fields[..dot]);
            if (id.Length is 0 or > MaxClientIdLength)
            {
                return AuthenticationResult.Reject("malformed token");
            }

            clientId = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(id);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return AuthenticationResult.Reject("malformed token");
        }

        return now.ToUnixTimeSeconds() >= expiresAt
            ? AuthenticationResult.Expired($"token expired at {DateTimeOffset.FromUnixTimeSeconds(expiresAt):u}")
            : AuthenticationResult.Accept(clientId);
    }

    internal static void ValidateSecret(ReadOnlySpan<byte> secret)
    {
        if (secret.Length < MinSecretLength)
        {
            throw new ArgumentException($"a token secret is at least {MinSecretLength} bytes");
        }
    }
}
