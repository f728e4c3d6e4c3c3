namespace Tether.Admin.Dashboard;

/// <summary>The dashboard's single page, embedded in this assembly (no files on disk, no build step, no CDN).</summary>
internal static class DashboardPage
{
    private static readonly Lazy<byte[]> Content = new(Load);

    /// <summary>Inline scripts and styles only, data calls to this origin only, nothing else.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static byte[] Html => Content.Value;

    private static byte[] Load()
    {
        var assembly = typeof(DashboardPage).Assembly;
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith("Dashboard.wwwroot.index.html", StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
