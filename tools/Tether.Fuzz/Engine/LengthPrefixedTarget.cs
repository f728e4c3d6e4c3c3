using System.Buffers.Binary;
using Tether.Framing;
using Tether.Protocol;

namespace Tether.Fuzz.Engine;

/// <summary><see cref="LengthPrefixedFraming"/> with one prefix width and payload limit.</summary>
internal sealed class LengthPrefixedTarget : FramingTarget
{
    private readonly LengthPrefix _prefix;
    private readonly int _max;

    public LengthPrefixedTarget(LengthPrefix prefix, int maxMessageLength, IFraming? decoder = null)
        : base(decoder ?? new LengthPrefixedFraming(prefix, maxMessageLength))
    {
        _prefix = prefix;
        _max = maxMessageLength;
    }

    public override string Family => "length-prefixed";

    public override string Name => $"length-prefixed {(_prefix == LengthPrefix.UInt16 ? "u16" : "u32")} max {_max}";

    private int Width => (int)_prefix;

    public override FuzzSample Generate(Random random, int maxSize)
    {
        var stream = new List<byte>();
        var messages = new List<byte[]>();
        var ends = new List<int>();
        var fields = new List<LengthField>();
        while (stream.Count + Width <= maxSize && random.Next(16) != 0)
        {
            var payload = RandomValues.Bytes(random, RandomValues.Length(random, Math.Min(_max, maxSize - stream.Count - Width)));
            fields.Add(new LengthField(stream.Count, Width, _max));
            var prefix = new byte[Width];
            if (_prefix == LengthPrefix.UInt16)
            {
                BinaryPrimitives.WriteUInt16BigEndian(prefix, (ushort)payload.Length);
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(prefix, (uint)payload.Length);
            }

            stream.AddRange(prefix);
            stream.AddRange(payload);
            messages.Add(payload);
            ends.Add(stream.Count);
        }

        return new FuzzSample([.. stream], messages, ends, fields);
    }

    public override FuzzOutcome Model(byte[] stream)
    {
        var messages = new List<byte[]>();
        var start = 0;
        while (stream.Length - start >= Width)
        {
            var length = Width == 2
                ? BinaryPrimitives.ReadUInt16BigEndian(stream.AsSpan(start))
                : (long)BinaryPrimitives.ReadUInt32BigEndian(stream.AsSpan(start));
            if (length > _max)
            {
                return new FuzzOutcome(messages, stream.Length - start, CloseCode.FrameTooLarge);
            }

            if (stream.Length - start - Width < length)
            {
                break;
            }

            messages.Add(stream[(start + Width)..(start + Width + (int)length)]);
            start += Width + (int)length;
        }

        return new FuzzOutcome(messages, stream.Length - start, null);
    }
}
