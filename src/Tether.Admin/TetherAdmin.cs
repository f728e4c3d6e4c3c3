using System.Net;

namespace Tether.Admin;

/// <summary>
/// The running admin listener, as the host sees it: where it is bound and the key its requests need. Resolve it from
/// the host's services once the host has started.
/// </summary>
public sealed class TetherAdmin
{
    private volatile AdminState? _state;

    /// <summary>True once the admin listener is listening.</summary>
    public bool IsRunning => _state is not null;

    /// <summary>The address actually bound (port 0 resolved); null until the listener runs, and when it is off.</summary>
    public IPEndPoint? Endpoint => _state?.Endpoint;

    /// <summary>The listener's base address, like <c>http://127.0.0.1:7480</c>; null until the listener runs.</summary>
    public Uri? BaseAddress => _state is { } state ? new Uri($"http://{FormatHost(state.Endpoint)}/") : null;

    /// <summary>The key every request (but health and the dashboard's files) must carry as <c>Authorization: Bearer KEY</c>: the one read from <see cref="AdminOptions.ApiKeyFile"/>, or the one made up at start; null until the listener runs.</summary>
    public string? ApiKey => _state?.ApiKey;

    /// <summary>True when <see cref="ApiKey"/> was made up at start (no key file on a loopback listener).</summary>
    public bool ApiKeyGenerated => _state?.Generated ?? false;

    internal void SetRunning(IPEndPoint endpoint, string apiKey, bool generated) => _state = new AdminState(endpoint, apiKey, generated);

    internal void SetStopped() => _state = null;

    private static string FormatHost(IPEndPoint endpoint)
    {
        var address = endpoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : endpoint.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : endpoint.Address;
        return new IPEndPoint(address, endpoint.Port).ToString();
    }

    private sealed record AdminState(IPEndPoint Endpoint, string ApiKey, bool Generated);
}
