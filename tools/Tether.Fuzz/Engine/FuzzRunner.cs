using System.Security.Cryptography;

namespace Tether.Fuzz.Engine;

/// <summary>
/// Runs fuzz cases until the time or case budget is spent or one fails: the families take turns, and within a family
/// its targets, each case generated from its own seed (see <see cref="CaseSeed"/>). Reports progress about once a second.
/// </summary>
internal sealed class FuzzRunner
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(1);

    private readonly IReadOnlyList<FuzzTarget> _targets;
    private readonly FuzzOptions _options;
    private readonly Action<FuzzProgress> _progress;
    private readonly TimeProvider _time;

    public FuzzRunner(IReadOnlyList<FuzzTarget> targets, FuzzOptions options, Action<FuzzProgress> progress, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfZero(targets.Count);
        _targets = targets;
        _options = options;
        _progress = progress;
        _time = time;
    }

    public FuzzReport Run(CancellationToken stop)
    {
        var families = _targets.Select(t => t.Family).Distinct().ToArray();
        var byFamily = families.ToDictionary(f => f, f => _targets.Where(t => t.Family == f).ToArray());
        var counts = families.ToDictionary(f => f, _ => 0L);
        var perTarget = _targets.ToDictionary(t => t, _ => 0L);
        using var fingerprint = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var started = _time.GetTimestamp();
        var nextProgress = ProgressEvery;

        for (long i = 0; !stop.IsCancellationRequested && (_options.Cases is not { } limit || i < limit); i++)
        {
            var elapsed = _time.GetElapsedTime(started);
            if (elapsed >= _options.Duration)
            {
                break;
            }

            if (elapsed >= nextProgress)
            {
                _progress(new FuzzProgress(elapsed, new Dictionary<string, long>(counts)));
                nextProgress = elapsed + ProgressEvery;
            }

            var family = families[i % families.Length];
            var candidates = byFamily[family];
            var target = candidates[counts[family] % candidates.Length];
            var index = perTarget[target]++;
            counts[family]++;

            var random = new Random(CaseSeed.For(_options.Seed, target.Name, index));
            var sample = target.Generate(random, _options.MaxSize);
            var mutations = RandomCase.Mutations(random);
            var input = Mutator.Apply(sample.Stream, sample.LengthFields, mutations);
            var cuts = RandomCase.Cuts(random, input.Length);
            fingerprint.AppendData(input);

            if (FuzzChecker.Check(target, sample, mutations, cuts) is { } failure)
            {
                return new FuzzReport(counts, _time.GetElapsedTime(started), Hex(fingerprint), FuzzMinimizer.Minimize(failure), index);
            }
        }

        return new FuzzReport(counts, _time.GetElapsedTime(started), Hex(fingerprint), null, -1);
    }

    private static string Hex(IncrementalHash hash) => Convert.ToHexStringLower(hash.GetCurrentHash().AsSpan(0, 8));
}
