namespace Tether.Admin.Dashboard;

/// <summary>
/// Settings of the live dashboard served at <c>/</c> on the admin listener (configuration section
/// <c>Tether:Admin:Dashboard</c>). The dashboard keeps a short history in memory and scans the registries only while a
/// page asks for data, so an unwatched dashboard costs a one-second timer and a few counters.
/// </summary>
internal sealed class DashboardOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Tether:Admin:Dashboard";

    /// <summary>Seconds of history kept (one sample per second). Default 300 (five minutes).</summary>
    public int HistorySeconds { get; set; } = 300;

    /// <summary>How many clients the "top pending bytes" table lists. Default 10.</summary>
    public int TopClients { get; set; } = 10;

    /// <summary>
    /// The most connections (and sessions) one data request looks at to find the top clients by pending bytes and the
    /// attached/detached split; beyond it the page says the figures cover part of the server. Default 50,000.
    /// </summary>
    public int ScanLimit { get; set; } = 50_000;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (HistorySeconds is < 10 or > 86_400)
        {
            throw new ArgumentException($"{SectionName}:HistorySeconds must be between 10 and 86400 (got {HistorySeconds}).");
        }

        if (TopClients is < 1 or > 1_000)
        {
            throw new ArgumentException($"{SectionName}:TopClients must be between 1 and 1000 (got {TopClients}).");
        }

        if (ScanLimit < 1)
        {
            throw new ArgumentException($"{SectionName}:ScanLimit must be at least 1 (got {ScanLimit}).");
        }
    }
}
