using System.CommandLine;

namespace Tether.Cli.Commands;

/// <summary><c>tether cert</c>: certificates for TLS listeners.</summary>
internal sealed class CertCommand : Command
{
    public CertCommand()
        : base("cert", "Certificates for TLS (tether serve --tls-cert/--tls-key, tether connect --tls --ca).")
    {
        Subcommands.Add(new CertCreateCommand());
    }
}
