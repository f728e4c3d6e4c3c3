using System.Buffers;
using Tether.Protocol;

namespace Tether.Fuzz.Engine;

/// <summary>
/// Feeds a target's decoder read by read, like a connection's receive loop, and checks the reading contract at every
/// step. Only <see cref="TetherProtocolException"/> ends decoding as an outcome; anything else propagates.
/// </summary>
internal static class ReceiveLoop
{
    /// <summary>Decodes the reads in order, cutting whatever is complete after each.</summary>
    /// <exception cref="ContractViolationException">The decoder broke the reading contract.</exception>
    public static FuzzOutcome Run(FuzzTarget target, IReadOnlyList<byte[]> chunks)
    {
        var reads = Reads.Of(chunks);
        var messages = new List<byte[]>();
        var consumed = reads.Sequence.Start;
        foreach (var end in reads.Ends)
        {
            var available = reads.Sequence.Slice(consumed, end);
            try
            {
                CutAvailable(target, ref available, messages);
            }
            catch (TetherProtocolException error)
            {
                return new FuzzOutcome(messages, reads.Sequence.Slice(available.Start).Length, error.Code);
            }

            consumed = available.Start;
        }

        return new FuzzOutcome(messages, reads.Sequence.Slice(consumed).Length, null);
    }

    private static void CutAvailable(FuzzTarget target, ref ReadOnlySequence<byte> available, List<byte[]> messages)
    {
        while (true)
        {
            var before = available;
            if (!target.TryCut(ref available, out var message))
            {
                if (!before.Start.Equals(available.Start) || !before.End.Equals(available.End))
                {
                    throw new ContractViolationException("the decoder asked for more bytes but moved the input");
                }

                if (available.Length >= target.MaxPending)
                {
                    throw new ContractViolationException($"the decoder waits with {available.Length} bytes buffered (at most {target.MaxPending - 1})");
                }

                return;
            }

            var consumed = before.Length - available.Length;

            // A message that consumes nothing would be read again forever.
            if (consumed <= 0)
            {
                throw new ContractViolationException("the decoder returned a message without consuming input");
            }

            if (!available.End.Equals(before.End))
            {
                throw new ContractViolationException("the decoder moved the end of the input");
            }

            if (message.Length > consumed)
            {
                throw new ContractViolationException($"a {message.Length}-byte message came from {consumed} bytes");
            }

            messages.Add(message);
        }
    }
}
