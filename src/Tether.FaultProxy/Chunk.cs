namespace Tether.FaultProxy;

/// <summary>
/// What a direction's reader hands its writer: a pooled buffer of read bytes, or (with no buffer) the end of the
/// stream, so that a FIN or reset is forwarded only after the data read before it.
/// </summary>
/// <param name="Buffer">Rented from the shared pool; whoever holds the chunk last returns it. Null for the end.</param>
/// <param name="Count">The number of bytes read into <paramref name="Buffer"/>.</param>
/// <param name="DueTimestamp">The stopwatch timestamp before which the chunk must not be written; 0 for no delay.</param>
/// <param name="Reset">For the end: the sender reset the connection rather than closing it.</param>
internal readonly record struct Chunk(byte[]? Buffer, int Count, long DueTimestamp, bool Reset)
{
    public static Chunk End(bool reset, long dueTimestamp) => new(null, 0, dueTimestamp, reset);
}
