using System.Buffers;
using System.Buffers.Binary;
using Tether.Protocol;

namespace Tether.Fuzz.Engine;

/// <summary>
/// The Tether frame decoder (<see cref="TetherFrame.TryRead"/>) and behind it the typed parsers (HELLO, WELCOME, CLOSE,
/// GOAWAY, DATA), with one maximum body length.
/// </summary>
internal sealed class TetherTarget : FuzzTarget
{
    private readonly int _maxBody;

    public TetherTarget(int maxBody) => _maxBody = maxBody;

    public override string Family => "tether";

    public override string Name => $"tether max {_maxBody}";

    public override long MaxPending => ProtocolConstants.HeaderSize + (long)_maxBody;

    public override FuzzSample Generate(Random random, int maxSize) => TetherStreamGenerator.Generate(random, maxSize, _maxBody);

    /// <summary>The frame as its header (written back from the parsed fields) followed by its body.</summary>
    public override bool TryCut(ref ReadOnlySequence<byte> input, out byte[] message)
    {
        if (!TetherFrame.TryRead(ref input, _maxBody, out var frame))
        {
            message = [];
            return false;
        }

        message = new byte[frame.EncodedLength];
        frame.Header.Write(message);
        frame.Body.CopyTo(message.AsSpan(ProtocolConstants.HeaderSize));
        return true;
    }

    public override int Skim(ReadOnlySequence<byte> input)
    {
        var count = 0;
        try
        {
            while (TetherFrame.TryRead(ref input, _maxBody, out _))
            {
                count++;
            }
        }

        catch (TetherProtocolException)
        {
            // The rejection is the end of this input, as it is of a connection.
        }

        return count;
    }

    /// <summary>
    /// The header rules of protocol section 4. A header that breaks more than one may be reported by any of them
    /// (section 4, receiving), so both codes are allowed then.
    /// </summary>
    public override FuzzOutcome Model(byte[] stream)
    {
        var messages = new List<byte[]>();
        var start = 0;
        while (stream.Length - start >= ProtocolConstants.HeaderSize)
        {
            var type = stream[start];
            var flags = stream[start + 1];
            var length = BinaryPrimitives.ReadUInt32BigEndian(stream.AsSpan(start + 2));
            var allowedFlags = type switch
            {
                1 or 2 or 3 => 0x03,
                >= 4 and <= 8 => 0,
                >= 0x40 and <= 0x7F => 0xFF,
                _ => -1,
            };
            var tooLarge = length > _maxBody;
            var malformed = allowedFlags < 0 || (flags & ~allowedFlags) != 0 || (type is 4 or 5 or 6 && length != 8);
            if (tooLarge || malformed)
            {
                return new FuzzOutcome(messages, stream.Length - start, tooLarge ? CloseCode.FrameTooLarge : CloseCode.ProtocolError)
                {
                    AlternativeError = tooLarge && malformed ? CloseCode.ProtocolError : null,
                };
            }

            var end = start + ProtocolConstants.HeaderSize + (long)length;
            if (end > stream.Length)
            {
                break;
            }

            messages.Add(stream[start..(int)end]);
            start = (int)end;
        }

        return new FuzzOutcome(messages, stream.Length - start, null);
    }

    public override string? CheckMessage(byte[] message, bool unchanged) => TypedFrameCheck.Check(message, unchanged);

    /// <summary>Parses a frame with its typed parser, if it has one, and drops the result.</summary>
    public static void ParseTyped(in TetherFrame frame)
    {
        switch (frame.Type)
        {
            case FrameType.Hello:
                HelloFrame.Parse(frame);
                break;
            case FrameType.Welcome:
                WelcomeFrame.Parse(frame);
                break;
            case FrameType.Close:
                CloseFrame.Parse(frame);
                break;
            case FrameType.GoAway:
                GoAwayFrame.Parse(frame);
                break;
            case FrameType.Data:
                DataFrame.Parse(frame);
                break;
        }
    }

    /// <summary>
    /// One typed frame of the sample with the mutations applied to its body alone and a header that fits the new body,
    /// so the typed parser, not the header check, meets the damage.
    /// </summary>
    public override IEnumerable<byte[]> Variants(FuzzSample sample, IReadOnlyList<Mutation> mutations)
    {
        var typed = Enumerable.Range(0, sample.Messages.Count)
            .Where(i => (FrameType)sample.Messages[i][0] is FrameType.Hello or FrameType.Welcome or FrameType.Close or FrameType.GoAway or FrameType.Data)
            .ToList();
        if (typed.Count == 0 || mutations.Count == 0)
        {
            yield break;
        }

        var index = typed[(int)((uint)mutations.Sum(m => (long)m.Position) % (uint)typed.Count)];
        var frame = sample.Messages[index];
        var bodyStart = sample.MessageEnds[index] - frame.Length + ProtocolConstants.HeaderSize;
        var bodyFields = sample.LengthFields
            .Where(f => f.Offset >= bodyStart && f.Offset < sample.MessageEnds[index])
            .Select(f => f with { Offset = f.Offset - bodyStart })
            .ToList();
        var body = Mutator.Apply(frame.AsSpan(ProtocolConstants.HeaderSize), bodyFields, mutations);
        var variant = new byte[ProtocolConstants.HeaderSize + body.Length];
        new FrameHeader((FrameType)frame[0], frame[1], body.Length).Write(variant);
        body.CopyTo(variant, ProtocolConstants.HeaderSize);
        yield return variant;
    }
}
