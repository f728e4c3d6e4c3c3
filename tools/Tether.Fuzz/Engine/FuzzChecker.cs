using Tether.Protocol;

namespace Tether.Fuzz.Engine;

/// <summary>
/// The oracle. Decoding any bytes must give exactly what the target's model says (so a mutation that keeps a frame valid
/// shows up as the mutated bytes, and one that breaks it as the documented protocol error), the same whether the bytes
/// are read whole or in pieces, without any other exception or a broken reading contract; and whatever the generator
/// wrote before the first mutated byte must come back as it was written.
/// </summary>
internal static class FuzzChecker
{
    /// <summary>Mutates <paramref name="sample"/>, checks the result and every variant; the first failure, or null.</summary>
    public static FuzzFailure? Check(FuzzTarget target, FuzzSample sample, IReadOnlyList<Mutation> mutations, IReadOnlyList<int> cuts)
    {
        var input = Mutator.Apply(sample.Stream, sample.LengthFields, mutations);
        return Check(target, input, cuts, sample)
            ?? target.Variants(sample, mutations).Select(variant => Check(target, variant, cuts, null)).FirstOrDefault(f => f is not null);
    }

    /// <summary>
    /// Checks one input; <paramref name="original"/> is the valid sample it was mutated from, or null when there is none
    /// (variants, minimized inputs).
    /// </summary>
    public static FuzzFailure? Check(FuzzTarget target, byte[] input, IReadOnlyList<int> cuts, FuzzSample? original)
    {
        var reason = Reason(target, input, cuts, original);
        return reason is null ? null : new FuzzFailure(target, reason, input, cuts);
    }

    private static string? Reason(FuzzTarget target, byte[] input, IReadOnlyList<int> cuts, FuzzSample? original)
    {
        var chunks = Reads.Cut(input, cuts);
        FuzzOutcome whole;
        FuzzOutcome pieces;
        try
        {
            whole = target.Normalize(ReceiveLoop.Run(target, [input]));
            pieces = target.Normalize(ReceiveLoop.Run(target, chunks));
        }
        catch (ContractViolationException violation)
        {
            return violation.Message;
        }
        catch (Exception crash) when (crash is not OutOfMemoryException)
        {
            // Anything but TetherProtocolException escaping the decoder is the bug this checker exists to find.
            return $"the decoder threw {crash.GetType().Name}: {crash.Message}";
        }

        if (!whole.Matches(pieces))
        {
            return $"read whole: {whole}; read in {chunks.Count} pieces: {pieces}";
        }

        var model = target.Model(input);
        if (!whole.Matches(model))
        {
            return $"decoded {whole} ({Differences(whole, model)}); the model expects {model}";
        }

        var unchanged = original is null ? 0 : UnchangedMessages(original, input);
        for (var i = 0; i < whole.Messages.Count; i++)
        {
            if (i < unchanged && !whole.Messages[i].AsSpan().SequenceEqual(original!.Messages[i]))
            {
                return $"message {i}, before the first mutated byte, decoded differently from what was written";
            }

            if (CheckMessage(target, whole.Messages[i], i < unchanged) is { } failure)
            {
                return $"message {i}: {failure}";
            }
        }

        return unchanged > whole.Messages.Count
            ? $"only {whole.Messages.Count} of the {unchanged} messages before the first mutated byte were decoded"
            : null;
    }

    private static string? CheckMessage(FuzzTarget target, byte[] message, bool unchanged)
    {
        try
        {
            return target.CheckMessage(message, unchanged);
        }
        catch (Exception crash) when (crash is not OutOfMemoryException)
        {
            return $"the parser threw {crash.GetType().Name}: {crash.Message}";
        }
    }

    /// <summary>How many of the sample's messages lie wholly before the first byte that differs in <paramref name="input"/>.</summary>
    private static int UnchangedMessages(FuzzSample original, byte[] input)
    {
        var common = original.Stream.AsSpan().CommonPrefixLength(input);
        return original.MessageEnds.Count(end => end <= common);
    }

    private static string Differences(FuzzOutcome actual, FuzzOutcome expected)
    {
        var first = actual.Messages.Zip(expected.Messages).TakeWhile(pair => pair.First.AsSpan().SequenceEqual(pair.Second)).Count();
        return first < Math.Min(actual.Messages.Count, expected.Messages.Count)
            ? $"message {first} differs"
            : actual.Error != expected.Error ? $"error {Name(actual.Error)} instead of {Name(expected.Error)}" : "different count or leftover";
    }

    private static string Name(CloseCode? code) => code?.ToWireName() ?? "none";
}
