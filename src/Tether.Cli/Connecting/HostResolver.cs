using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Tether.Cli.Connecting;

/// <summary>
/// Resolves the host names of the endpoints before anything connects. The library client treats a failed lookup like
/// any failed attempt and retries it forever, but a name that does not resolve is almost always a typo or a wrong
/// environment, not a network blip: a command line should say so and stop.
/// </summary>
internal static class HostResolver
{
    /// <summary>The default of --dns-attempts.</summary>
    public const int DefaultAttempts = 3;

    /// <summary>Between two lookups of one name: long enough for a resolver that was restarting, short for a typo.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Looks up every <see cref="DnsEndPoint"/> host up to <paramref name="attempts"/> times each (0: until it resolves
    /// or <paramref name="cancellationToken"/> fires) and throws a one-line <see cref="CliException"/> for the first
    /// that never resolves. <paramref name="stillTrying"/> hears of the first failure when the attempts are unlimited,
    /// so an endless wait is never silent.
    /// </summary>
    public static async Task ResolveAllAsync(
        IEnumerable<EndPoint> endPoints,
        int attempts,
        Action<string> stillTrying,
        CancellationToken cancellationToken,
        Func<string, CancellationToken, Task<IPAddress[]>>? lookup = null,
        TimeSpan? retryDelay = null)
    {
        lookup ??= Dns.GetHostAddressesAsync;
        foreach (var host in endPoints.OfType<DnsEndPoint>().Select(e => e.Host).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            for (var attempt = 1; ; attempt++)
            {
                string why;
                try
                {
                    if ((await lookup(host, cancellationToken).ConfigureAwait(false)).Length > 0)
                    {
                        break;
                    }

                    why = "no addresses";
                }
                catch (SocketException ex)
                {
                    why = ex.Message;
                }

                if (attempts > 0 && attempt >= attempts)
                {
                    var tries = attempts == 1 ? "1 attempt" : string.Create(CultureInfo.InvariantCulture, $"{attempts} attempts");
                    throw new CliException($"cannot resolve host '{host}': {why} ({tries}; --dns-attempts sets how many, 0 for no limit)", ExitCodes.Failure);
                }

                if (attempts == 0 && attempt == 1)
                {
                    stillTrying($"cannot resolve host '{host}': {why}; still trying (--dns-attempts 0)");
                }

                await Task.Delay(retryDelay ?? RetryDelay, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
