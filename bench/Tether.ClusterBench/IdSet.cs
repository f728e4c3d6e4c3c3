using System.Runtime.InteropServices;
using System.Text.Json;

namespace Tether.ClusterBench;

/// <summary>
/// A set of message ids (0 to 64 M) as a bitmap, safe for concurrent adds, written as base64 of its bytes up to the
/// highest id in it (bit <c>i % 8</c> of byte <c>i / 8</c> is id <c>i</c>), so that the script can tell exactly which
/// accepted messages never arrived and which failed sends arrived anyway.
/// </summary>
internal sealed class IdSet
{
    public const long Capacity = 64L * 1024 * 1024;

    private readonly long[] _words = new long[Capacity / 64];

    /// <summary>Adds <paramref name="id"/>; false if it was already there (or is out of range).</summary>
    public bool Add(long id)
    {
        if (id is < 0 or >= Capacity)
        {
            return false;
        }

        var bit = 1L << (int)(id & 63);
        return (Interlocked.Or(ref _words[id >> 6], bit) & bit) == 0;
    }

    public void Write(Utf8JsonWriter json, string name)
    {
        var used = Array.FindLastIndex(_words, w => w != 0) + 1;
        // Little-endian words are the byte layout described above.
        json.WriteBase64String(name, MemoryMarshal.AsBytes(_words.AsSpan(0, used)));
    }
}
