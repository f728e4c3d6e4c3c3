using System.Security.Cryptography;
using System.Text;

namespace Tether.Admin.Security;

/// <summary>The admin API key: read from its file, or made up for a loopback listener that has none.</summary>
internal sealed class AdminApiKey
{
    private readonly byte[] _utf8;

    private AdminApiKey(string value, bool generated)
    {
        Value = value;
        Generated = generated;
        _utf8 = Encoding.UTF8.GetBytes(value);
    }

    public string Value { get; }

    /// <summary>True when made up at start rather than read from a file.</summary>
    public bool Generated { get; }

    /// <summary>Reads the first line of <paramref name="path"/>; TetherException with one line when it cannot be read or is empty.</summary>
    public static AdminApiKey FromFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new TetherException($"cannot read the admin API key file '{path}': {ex.Message}");
        }

        var key = text.Split('\n', 2)[0].Trim();
        return key.Length == 0
            ? throw new TetherException($"the admin API key file '{path}' is empty")
            : new AdminApiKey(key, generated: false);
    }

    /// <summary>A random key of 32 bytes, URL-safe base64 (43 characters).</summary>
    public static AdminApiKey Generate() =>
        new(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_'), generated: true);

    /// <summary>Compares the bearer token of an Authorization header with the key in constant time (for equal lengths).</summary>
    public bool Matches(ReadOnlySpan<char> authorization)
    {
        const string Scheme = "Bearer ";
        if (!authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var token = authorization[Scheme.Length..].Trim();
        var max = Encoding.UTF8.GetMaxByteCount(token.Length);
        var buffer = max <= 512 ? stackalloc byte[max] : new byte[max];
        var written = Encoding.UTF8.GetBytes(token, buffer);
        return CryptographicOperations.FixedTimeEquals(buffer[..written], _utf8);
    }
}
