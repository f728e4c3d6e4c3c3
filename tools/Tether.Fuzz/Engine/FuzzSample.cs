namespace Tether.Fuzz.Engine;

/// <summary>A valid encoded stream and what decoding it must give back.</summary>
/// <param name="Stream">The encoded messages, back to back.</param>
/// <param name="Messages">Each message as the target's decoder reports it (see <see cref="FuzzTarget.TryCut"/>).</param>
/// <param name="MessageEnds">Where each message's frame ends in <paramref name="Stream"/>.</param>
/// <param name="LengthFields">The length fields in <paramref name="Stream"/>.</param>
internal sealed record FuzzSample(byte[] Stream, IReadOnlyList<byte[]> Messages, IReadOnlyList<int> MessageEnds, IReadOnlyList<LengthField> LengthFields);
