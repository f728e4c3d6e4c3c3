using System.Net;
using Tether.Client;

namespace Tether.Tests.Support;

internal static class ClientFactory
{
    /// <summary>Client options tuned for tests: quick backoff, short linger.</summary>
    public static TetherClientOptions Options(params EndPoint[] endPoints)
    {
        var options = new TetherClientOptions
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            CloseLinger = TimeSpan.FromMilliseconds(500),
            Reconnect = new ReconnectOptions { BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200) },
        };
        foreach (var endPoint in endPoints)
        {
            options.EndPoints.Add(endPoint);
        }

        return options;
    }
}
