namespace Tether.Fuzz.Engine;

/// <summary>
/// Shrinks a failing input so the report shows the few bytes that matter: first the reads are merged, then runs of
/// bytes are removed, longest first, keeping every change after which the input still fails.
/// </summary>
internal static class FuzzMinimizer
{
    private const int MaxChecks = 4000;

    /// <summary>
    /// The smallest failing input found within the check budget; <paramref name="failure"/> itself when it fails only
    /// against the sample it was mutated from (a message written before the first mutation decoded differently).
    /// </summary>
    public static FuzzFailure Minimize(FuzzFailure failure)
    {
        var target = failure.Target;
        var best = FuzzChecker.Check(target, failure.Input, failure.Cuts, null);
        if (best is null)
        {
            return failure;
        }

        var checks = 0;
        FuzzFailure? Try(byte[] input, IReadOnlyList<int> cuts) =>
            checks++ < MaxChecks ? FuzzChecker.Check(target, input, cuts, null) : null;

        best = Try(best.Input, []) ?? best;
        for (var progress = true; progress && checks < MaxChecks;)
        {
            progress = false;
            for (var run = Math.Max(1, best.Input.Length / 2); run >= 1 && checks < MaxChecks; run /= 2)
            {
                for (var start = 0; start + run <= best.Input.Length && checks < MaxChecks;)
                {
                    byte[] smaller = [.. best.Input[..start], .. best.Input[(start + run)..]];
                    if (Try(smaller, Positions(best)) is { } still)
                    {
                        best = still;
                        progress = true;
                    }
                    else
                    {
                        start += run;
                    }
                }
            }
        }

        return best with { Cuts = Positions(best) };
    }

    /// <summary>The cuts as the positions they fall on, so they read the same in a report.</summary>
    private static int[] Positions(FuzzFailure failure)
    {
        var positions = new List<int>();
        var at = 0;
        foreach (var chunk in Reads.Cut(failure.Input, failure.Cuts).SkipLast(1))
        {
            at += chunk.Length;
            positions.Add(at);
        }

        return [.. positions];
    }
}
