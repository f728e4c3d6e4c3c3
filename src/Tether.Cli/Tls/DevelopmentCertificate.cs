using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tether.Cli.Tls;

/// <summary>
/// A self-signed certificate for development: an ECDSA P-256 key, the names given as subject alternative names, and
/// marked as its own CA so that a client can trust exactly this file (<c>tether connect --tls --ca FILE</c>).
/// </summary>
internal static class DevelopmentCertificate
{
    public static IReadOnlyList<string> DefaultNames { get; } = ["localhost", "127.0.0.1", "::1"];

    public static (string CertificateFile, string KeyFile, DateTimeOffset NotAfter) Write(string certificateFile, string keyFile, IReadOnlyList<string> names, int days, bool overwrite, TimeProvider time)
    {
        if (!overwrite)
        {
            foreach (var file in new[] { certificateFile, keyFile })
            {
                if (File.Exists(file))
                {
                    throw new CliException($"{file} exists (use --force to overwrite it)");
                }
            }
        }

        foreach (var (file, option) in new[] { (certificateFile, "--cert"), (keyFile, "--key") })
        {
            // Checked before anything is written, so a bad --key does not leave a certificate without its key.
            if (Directory.Exists(file))
            {
                throw new CliException($"{option}: '{file}' is a directory, not a file");
            }
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        request.CertificateExtensions.Add(AlternativeNames(names));

        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(days));
        Write(certificateFile, "--cert", () => File.WriteAllText(certificateFile, certificate.ExportCertificatePem()));
        Write(keyFile, "--key", () => WritePrivate(keyFile, key.ExportPkcs8PrivateKeyPem()));

        return (certificateFile, keyFile, certificate.NotAfter);
    }

    private static void Write(string path, string option, Action write)
    {
        try
        {
            write();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{option}: {FileProblem.Describe(path, ex, "write")}");
        }
    }

    private static X509Extension AlternativeNames(IReadOnlyList<string> names)
    {
        var builder = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var address))
            {
                builder.AddIpAddress(address);
            }
            else if (Uri.CheckHostName(name) == UriHostNameType.Dns)
            {
                builder.AddDnsName(name);
            }
            else
            {
                throw new CliException($"--name: '{name}' is not a host name or an IP address");
            }
        }

        return builder.Build();
    }

    private static void WritePrivate(string path, string text)
    {
        // Created owner-only from the start, so the key is never readable by others even for a moment.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }
}
