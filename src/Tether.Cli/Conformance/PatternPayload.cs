namespace Tether.Cli.Conformance;

/// <summary>
/// The payload a scenario names by size alone (<c>{"pattern": N}</c>): N bytes cycling through 'a'..'z', so both
/// sides can build and compare it without spelling it out, and it is valid UTF-8 for text-based client programs.
/// </summary>
internal static class PatternPayload
{
    public static string Text(int length) => string.Create(length, 0, static (span, _) =>
    {
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = (char)('a' + (i % 26));
        }
    });
}
