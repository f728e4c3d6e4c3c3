using System.Buffers;
using Tether.Framing;
using Tether.Protocol;

namespace Tether.Fuzz.Tests;

/// <summary>Length-prefixed framing that reads only the low byte of its u16 length: lengths of 256 and more read wrong.</summary>
internal sealed class LowByteLengthFraming : IFraming
{
    private readonly LengthPrefixedFraming _writer = new(LengthPrefix.UInt16, 20);

    public string Name => "length-prefixed";

    public int MaxFrameLength => _writer.MaxFrameLength;

    public bool TryRead(ref ReadOnlySequence<byte> input, out ReadOnlySequence<byte> message)
    {
        message = default;
        if (input.Length < 2)
        {
            return false;
        }

        var length = input.Slice(1, 1).FirstSpan[0];
        if (length > 20)
        {
            throw new TetherProtocolException(CloseCode.FrameTooLarge, "too long");
        }

        if (input.Length < 2 + length)
        {
            return false;
        }

        message = input.Slice(2, length);
        input = input.Slice(2 + length);
        return true;
    }

    public void Write(ReadOnlySpan<byte> message, IBufferWriter<byte> output) => _writer.Write(message, output);
}

/// <summary>Line framing that trips over a NUL byte with an exception other than a protocol error.</summary>
internal sealed class NulCrashingLineFraming : IFraming
{
    private readonly LineFraming _inner = new(16);

    public string Name => "lines";

    public int MaxFrameLength => _inner.MaxFrameLength;

    public bool TryRead(ref ReadOnlySequence<byte> input, out ReadOnlySequence<byte> message)
    {
        var read = _inner.TryRead(ref input, out message);
        return read && message.ToArray().Contains((byte)0) ? throw new InvalidOperationException("NUL in a line") : read;
    }

    public void Write(ReadOnlySpan<byte> message, IBufferWriter<byte> output) => _inner.Write(message, output);
}
