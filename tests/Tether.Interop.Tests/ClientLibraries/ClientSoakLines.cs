using System.Globalization;

namespace Tether.Interop.Tests.ClientLibraries;

/// <summary>The numbered lines the soak sends (<c>soak 1</c>, <c>soak 2</c>, ...), so that each echo names its line.</summary>
internal static class ClientSoakLines
{
    private const string Prefix = "soak ";

    public static string Text(int number) => Prefix + number.ToString(CultureInfo.InvariantCulture);

    /// <summary>The number of a soak line, or null for anything else (another event, a corrupted line).</summary>
    public static int? Number(string? text) =>
        text is not null && text.StartsWith(Prefix, StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            && number > 0
            ? number
            : null;
}
