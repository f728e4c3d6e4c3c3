using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Tether.Authentication;

namespace Tether.Hosting.Auth;

/// <summary>
/// Answers of the auth endpoint for a short while, keyed by a hash of the claimed client id and the token (the tokens
/// themselves are not kept). Bounded: when full, expired answers go, and if that is not enough, all of them.
/// </summary>
internal sealed class AuthVerdictCache(TimeProvider time, TimeSpan ttl, int maxEntries)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The key of a claimed id and token: the id's length first, so ("ab", "c") and ("a", "bc") differ.</summary>
    public static string KeyOf(string? claimedClientId, ReadOnlySpan<byte> token)
    {
        var id = Encoding.UTF8.GetBytes(claimedClientId ?? string.Empty);
        var material = new byte[4 + id.Length + token.Length];
        BitConverter.TryWriteBytes(material, id.Length);
        id.CopyTo(material, 4);
        token.CopyTo(material.AsSpan(4 + id.Length));
        return Convert.ToHexString(SHA256.HashData(material));
    }

    public bool TryGet(string key, out AuthenticationResult verdict)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            if (time.GetTimestamp() < entry.ExpiresAt)
            {
                verdict = entry.Verdict;
                return true;
            }

            _entries.TryRemove(KeyValuePair.Create(key, entry));
        }

        verdict = null!;
        return false;
    }

    public void Add(string key, AuthenticationResult verdict)
    {
        if (ttl <= TimeSpan.Zero)
        {
            return;
        }

        var now = time.GetTimestamp();
        if (_entries.Count >= maxEntries)
        {
            foreach (var (oldKey, old) in _entries)
            {
                if (old.ExpiresAt <= now)
                {
                    _entries.TryRemove(oldKey, out _);
                }
            }

            if (_entries.Count >= maxEntries)
            {
                _entries.Clear();
            }
        }

        _entries[key] = new Entry(verdict, now + (long)(ttl.TotalSeconds * time.TimestampFrequency));
    }

    private sealed record Entry(AuthenticationResult Verdict, long ExpiresAt);
}
