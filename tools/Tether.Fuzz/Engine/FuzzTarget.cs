using System.Buffers;

namespace Tether.Fuzz.Engine;

/// <summary>
/// One decoder under test, with everything the checker needs around it: a generator of valid streams, the real decoder,
/// and an independent model of what the decoder must make of any bytes.
/// </summary>
internal abstract class FuzzTarget
{
    /// <summary>The family, as <c>--framing</c> names it: tether, lines, length-prefixed or raw.</summary>
    public abstract string Family { get; }

    /// <summary>The family and its settings, e.g. <c>length-prefixed u16 max 20</c>.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// The most bytes the decoder may keep buffered while it waits for the rest of a frame; past that a correct decoder
    /// has completed or rejected the frame.
    /// </summary>
    public abstract long MaxPending { get; }

    /// <summary>Random valid messages, encoded, in at most about <paramref name="maxSize"/> bytes.</summary>
    public abstract FuzzSample Generate(Random random, int maxSize);

    /// <summary>
    /// The real decoder: cuts the next message off <paramref name="input"/> as bytes to compare, or returns false when
    /// it needs more. Throws whatever the decoder throws.
    /// </summary>
    public abstract bool TryCut(ref ReadOnlySequence<byte> input, out byte[] message);

    /// <summary>
    /// The real decoder without recording anything, for measuring what it allocates: reads messages until it waits
    /// or rejects the input. Returns how many it read.
    /// </summary>
    public abstract int Skim(ReadOnlySequence<byte> input);

    /// <summary>The model: what a correct decoder makes of <paramref name="stream"/> read at once.</summary>
    public abstract FuzzOutcome Model(byte[] stream);

    /// <summary>Checks one decoded message beyond its bytes (typed parsing); a failure description, or null.</summary>
    /// <param name="message">The message as <see cref="TryCut"/> gave it.</param>
    /// <param name="unchanged">True when the message is one the generator wrote, not touched by any mutation.</param>
    public virtual string? CheckMessage(byte[] message, bool unchanged) => null;

    /// <summary>
    /// More streams worth checking for this sample and these mutations, without knowing what they decode to (e.g.
    /// frames whose body alone was mutated, so the typed parsers see the damage behind a valid header).
    /// </summary>
    public virtual IEnumerable<byte[]> Variants(FuzzSample sample, IReadOnlyList<Mutation> mutations) => [];

    /// <summary>
    /// The messages in a form that does not depend on where the reads fell. Most framings cut the same messages
    /// however the bytes arrive; raw framing hands over each read, so only the bytes in order are comparable.
    /// </summary>
    public virtual FuzzOutcome Normalize(FuzzOutcome outcome) => outcome;

    public override string ToString() => Name;
}
