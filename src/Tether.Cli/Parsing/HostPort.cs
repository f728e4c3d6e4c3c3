using System.Net;

namespace Tether.Cli.Parsing;

/// <summary>
/// A parsed <c>HOST:PORT</c>. <see cref="Address"/> is set when the host is an IP literal, <c>localhost</c>, or empty
/// (all interfaces); otherwise the host is a name left for DNS.
/// </summary>
internal sealed record HostPort(string Host, int Port, IPAddress? Address)
{
    public override string ToString() => Address is { } address ? new IPEndPoint(address, Port).ToString() : $"{Host}:{Port}";
}
