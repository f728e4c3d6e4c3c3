namespace Tether.Fuzz.Engine;

/// <summary>A check that failed: why, and the input and reads that show it.</summary>
/// <param name="Target">The decoder that failed.</param>
/// <param name="Reason">What went wrong, in one line.</param>
/// <param name="Input">The bytes fed to the decoder.</param>
/// <param name="Cuts">Where the input was cut into reads for the read-in-pieces pass.</param>
internal sealed record FuzzFailure(FuzzTarget Target, string Reason, byte[] Input, IReadOnlyList<int> Cuts)
{
    /// <summary>The read sizes, e.g. <c>3+4</c>.</summary>
    public string ReadSizes => string.Join("+", Reads.Cut(Input, Cuts).Select(chunk => chunk.Length));
}
