using Tether.Framing;

namespace Tether.Fuzz.Engine;

/// <summary>
/// <see cref="RawFraming"/>: every read is a message, so the only thing to check across splits is that the bytes come
/// through in order, all of them, and never an error.
/// </summary>
internal sealed class RawTarget : FramingTarget
{
    public RawTarget(IFraming? decoder = null)
        : base(decoder ?? RawFraming.Instance)
    {
    }

    public override string Family => "raw";

    public override string Name => "raw";

    // Raw hands over whatever is there, so it never waits with anything buffered.
    public override long MaxPending => 1;

    /// <remarks>
    /// No message ends are recorded: which bytes form a message depends on the reads, so only the model, all of the
    /// bytes in order, says what must come out.
    /// </remarks>
    public override FuzzSample Generate(Random random, int maxSize)
    {
        var stream = RandomValues.Bytes(random, RandomValues.Length(random, maxSize));
        return new FuzzSample(stream, stream.Length == 0 ? [] : [stream], [], []);
    }

    public override FuzzOutcome Model(byte[] stream) => new(stream.Length == 0 ? [] : [stream], 0, null);

    public override FuzzOutcome Normalize(FuzzOutcome outcome) =>
        outcome with { Messages = outcome.Messages.Count == 0 ? [] : [[.. outcome.Messages.SelectMany(m => m)]] };
}
