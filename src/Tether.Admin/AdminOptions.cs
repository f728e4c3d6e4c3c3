namespace Tether.Admin;

/// <summary>
/// Settings of the admin listener (configuration section <c>Tether:Admin</c>): where it listens, its API key, and the
/// limits of the push and admin API.
/// </summary>
public sealed class AdminOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Tether:Admin";

    /// <summary>The port the admin listener is documented and addressed on by default (<c>127.0.0.1:7480</c>).</summary>
    public const int DefaultPort = 7480;

    /// <summary>
    /// Where the admin listener listens, as HOST:PORT (<c>127.0.0.1:7480</c>, <c>[::1]:7480</c>, <c>localhost:7480</c>,
    /// <c>0.0.0.0:7480</c>; port 0 picks a free port, see <see cref="TetherAdmin.Endpoint"/>). Empty (the default): no
    /// admin listener. On an address other than loopback an <see cref="ApiKeyFile"/> is required.
    /// </summary>
    public string? Listen { get; set; }

    /// <summary>
    /// A file holding the API key (its first line, surrounding white space ignored). Every request but the health
    /// probes and the dashboard page's files must carry <c>Authorization: Bearer KEY</c>. Without it, a loopback
    /// listener makes up a random key at start and logs it once (<see cref="TetherAdmin.ApiKey"/>).
    /// </summary>
    public string? ApiKeyFile { get; set; }

    /// <summary>The largest page <c>GET /api/clients</c> returns (default 1,000); a larger <c>limit</c> is cut to it.</summary>
    public int MaxPageSize { get; set; } = 1000;

    /// <summary>How long a push with <c>"waitForAck": true</c> waits for the client's acknowledgement before it answers 504 (default 30 s).</summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest request body accepted, in bytes (default 1 MiB); larger ones get 413.</summary>
    public long MaxRequestBodySize { get; set; } = 1024 * 1024;

    /// <summary>Throws <see cref="ArgumentException"/> with one line naming the first bad setting.</summary>
    public void Validate()
    {
        if (MaxPageSize < 1)
        {
            throw new ArgumentException($"Tether:Admin:MaxPageSize must be at least 1 (it is {MaxPageSize})");
        }

        if (AckTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Tether:Admin:AckTimeout must be positive (it is {AckTimeout})");
        }

        if (MaxRequestBodySize < 1024)
        {
            throw new ArgumentException($"Tether:Admin:MaxRequestBodySize must be at least 1024 bytes (it is {MaxRequestBodySize})");
        }

        if (!string.IsNullOrWhiteSpace(Listen))
        {
            _ = Hosting.AdminListenAddress.Parse(Listen);
        }
    }
}
