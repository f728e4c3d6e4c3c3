using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Tether.Security;

/// <summary>
/// Certificate validation callbacks for <see cref="SslClientAuthenticationOptions.RemoteCertificateValidationCallback"/>
/// (a client checking its server) and <see cref="SslServerAuthenticationOptions.RemoteCertificateValidationCallback"/>
/// (a server checking client certificates). Without a callback, .NET checks against the system's trusted roots.
/// </summary>
public static class CertificateTrust
{
    /// <summary>
    /// Trusts certificates that chain to one of the CA certificates in <paramref name="caPemFile"/> (PEM, one or more),
    /// and only those: the system roots are not consulted. A server's certificate must still match the name the client
    /// connects to. Throws <see cref="InvalidDataException"/> when the file holds no certificate.
    /// </summary>
    public static RemoteCertificateValidationCallback FromCaFile(string caPemFile)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(caPemFile);
        if (roots.Count == 0)
        {
            throw new InvalidDataException($"{caPemFile} holds no PEM certificate");
        }

        return (_, certificate, chain, errors) => ChainsTo(roots, certificate, chain, errors);
    }

    /// <summary>
    /// Accepts any certificate, however invalid. For development only: it makes TLS no defence against someone in the
    /// middle, which is why the command line prints a warning whenever it is used.
    /// </summary>
#pragma warning disable CA5359 // Deliberate, named as such, and refused by nothing but the caller's own choice.
    public static RemoteCertificateValidationCallback AcceptAnyInsecure { get; } = static (_, _, _, _) => true;
#pragma warning restore CA5359

    private static bool ChainsTo(X509Certificate2Collection roots, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);

        // Development and private CAs publish no revocation lists; a private CA's owner revokes by replacing the CA file.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (certificate is X509Certificate2 typed)
        {
            return chain.Build(typed);
        }

        using var copy = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(copy);
    }
}
