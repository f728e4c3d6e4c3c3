using System.Globalization;

namespace Tether.Hostile.Reporting;

/// <summary>Figures as the report prints them.</summary>
internal static class Units
{
    public static string MiB(long? bytes) =>
        bytes is { } b ? string.Create(CultureInfo.InvariantCulture, $"{b / 1048576.0:0.0} MiB") : "n/a";

    public static string Seconds(TimeSpan? time) =>
        time is { } t ? string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.00} s") : "-";
}
