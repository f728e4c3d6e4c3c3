using System.CommandLine;
using Tether.Cli.Tls;

namespace Tether.Cli.Commands;

/// <summary><c>tether cert create</c>: writes a self-signed development certificate and its key as PEM files.</summary>
internal sealed class CertCreateCommand : Command
{
    private readonly Option<string> _cert = new("--cert")
    {
        Description = "Where to write the certificate (PEM); clients trust it with tether connect --tls --ca FILE.",
        HelpName = "path",
        DefaultValueFactory = _ => "tether-cert.pem",
    };

    private readonly Option<string> _key = new("--key")
    {
        Description = "Where to write the private key (PEM, readable by the owner only).",
        HelpName = "path",
        DefaultValueFactory = _ => "tether-key.pem",
    };

    private readonly Option<string[]> _names = new("--name")
    {
        Description = "Host names and IP addresses the certificate is valid for; repeat for several. [default: localhost, 127.0.0.1, ::1]",
        HelpName = "host",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<int> _days = CliOptions.Int("--days", "How many days the certificate is valid.", 365, min: 1);

    private readonly Option<bool> _force = new("--force")
    {
        Description = "Overwrite existing files.",
    };

    public CertCreateCommand()
        : base("create", "Write a self-signed development certificate and key, e.g. tether cert create; then tether serve "
            + "--tls-cert tether-cert.pem --tls-key tether-key.pem and tether connect --tls --ca tether-cert.pem. Not for "
            + "production: use a certificate from a CA your clients already trust.")
    {
        Options.Add(_cert);
        Options.Add(_key);
        Options.Add(_names);
        Options.Add(_days);
        Options.Add(_force);
        SetAction((result, _) =>
        {
            var names = result.GetValue(_names) is { Length: > 0 } given ? given : DevelopmentCertificate.DefaultNames;
            var written = DevelopmentCertificate.Write(result.GetValue(_cert)!, result.GetValue(_key)!, names, result.GetValue(_days), result.GetValue(_force), TimeProvider.System);
            Console.Error.WriteLine($"tether: wrote {written.CertificateFile} and {written.KeyFile} for {string.Join(", ", names)}, valid until {written.NotAfter:yyyy-MM-dd} (self-signed: for development only)");
            return Task.FromResult(ExitCodes.Success);
        });
    }
}
