using System.Text;

namespace Tether.Fuzz.Engine;

/// <summary>
/// The seed of one case from the run's seed, the target and the case's number for that target: a case does not depend
/// on which other targets ran or how fast, so <c>--seed</c> with any <c>--framing</c> meets the same cases again.
/// </summary>
internal static class CaseSeed
{
    public static int For(int runSeed, string targetName, long index)
    {
        // FNV-1a over the name (string.GetHashCode differs between processes), then a SplitMix64 finalizer.
        var hash = 14695981039346656037ul;
        foreach (var b in Encoding.UTF8.GetBytes(targetName))
        {
            hash = (hash ^ b) * 1099511628211ul;
        }

        var mixed = hash ^ ((ulong)(uint)runSeed << 32) ^ (ulong)index;
        mixed = (mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9ul;
        mixed = (mixed ^ (mixed >> 27)) * 0x94D049BB133111EBul;
        return (int)((mixed ^ (mixed >> 31)) & int.MaxValue);
    }
}
