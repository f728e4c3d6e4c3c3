using Tether.Framing;
using Tether.Protocol;

namespace Tether.Fuzz.Engine;

/// <summary><see cref="LineFraming"/>, with lines ending in <c>\n</c> or <c>\r\n</c>.</summary>
internal sealed class LinesTarget : FramingTarget
{
    private readonly int _maxLine;

    public LinesTarget(int maxLineLength, IFraming? decoder = null)
        : base(decoder ?? new LineFraming(maxLineLength)) => _maxLine = maxLineLength;

    public override string Family => "lines";

    public override string Name => $"lines max {_maxLine}";

    public override FuzzSample Generate(Random random, int maxSize)
    {
        var stream = new List<byte>();
        var messages = new List<byte[]>();
        var ends = new List<int>();
        while (stream.Count < maxSize && random.Next(16) != 0)
        {
            var content = RandomValues.Bytes(random, RandomValues.Length(random, Math.Min(_maxLine, maxSize - stream.Count)));
            content.AsSpan().Replace((byte)'\n', (byte)'x');

            // A content ending in '\r' would lose it to the line ending; the writer refuses such lines too.
            if (content.Length > 0 && content[^1] == '\r')
            {
                content[^1] = (byte)'y';
            }

            stream.AddRange(content);
            stream.AddRange(random.Next(2) == 0 ? "\n"u8.ToArray() : "\r\n"u8.ToArray());
            messages.Add(content);
            ends.Add(stream.Count);
        }

        return new FuzzSample([.. stream], messages, ends, []);
    }

    public override FuzzOutcome Model(byte[] stream)
    {
        var messages = new List<byte[]>();
        var start = 0;
        while (true)
        {
            var newline = Array.IndexOf(stream, (byte)'\n', start);
            if (newline < 0)
            {
                // An unfinished line is already too long past the limit, unless its one extra byte is a '\r' that a
                // '\n' may still turn into the ending.
                var pending = stream.Length - start;
                var tooLong = pending > _maxLine + 1 || (pending == _maxLine + 1 && stream[^1] != '\r');
                return new FuzzOutcome(messages, pending, tooLong ? CloseCode.FrameTooLarge : null);
            }

            var end = newline > start && stream[newline - 1] == '\r' ? newline - 1 : newline;
            if (end - start > _maxLine)
            {
                return new FuzzOutcome(messages, stream.Length - start, CloseCode.FrameTooLarge);
            }

            messages.Add(stream[start..end]);
            start = newline + 1;
        }
    }
}
