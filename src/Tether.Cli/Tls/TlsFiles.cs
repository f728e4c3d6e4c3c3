using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Tether.Security;

namespace Tether.Cli.Tls;

/// <summary>Builds the TLS options of serve and connect from the files named on the command line, with one-line errors.</summary>
internal static class TlsFiles
{
    public static X509Certificate2 Certificate(string certificateFile, string? keyFile, string certOption, string keyOption)
    {
        try
        {
            // A .pfx/.p12 carries its key; a PEM certificate needs one (which may be in the same file).
            var isPkcs12 = certificateFile.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || certificateFile.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);
            if (!isPkcs12 && keyFile is null)
            {
                throw new CliException($"{certOption} {certificateFile} is PEM, so it needs {keyOption} (or give a .pfx file)");
            }

            FileProblem.RequireFile(certificateFile, certOption);
            if (!isPkcs12 && keyFile is not null)
            {
                FileProblem.RequireFile(keyFile, keyOption);
            }

            return TlsCertificate.Load(certificateFile, isPkcs12 ? null : keyFile);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{certOption}: {FirstLine(ex.Message)}");
        }
    }

    public static RemoteCertificateValidationCallback Trust(string caFile, string option)
    {
        try
        {
            FileProblem.RequireFile(caFile, option);
            return CertificateTrust.FromCaFile(caFile);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new CliException($"{option}: {FirstLine(ex.Message)}");
        }
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}
