using System.Security.Cryptography.X509Certificates;

namespace Tether.Security;

/// <summary>Loads a certificate with its private key for a TLS server (or a client certificate) from files.</summary>
public static class TlsCertificate
{
    /// <summary>
    /// From a PEM certificate and a PEM private key (<paramref name="keyFile"/> may be the same file), or from a PKCS#12
    /// (.pfx/.p12) file when <paramref name="keyFile"/> is null (with <paramref name="password"/> if it has one).
    /// Throws <see cref="InvalidDataException"/> with a one-line reason when the files do not hold a usable certificate.
    /// </summary>
    public static X509Certificate2 Load(string certificateFile, string? keyFile = null, string? password = null)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = keyFile is null
                ? X509CertificateLoader.LoadPkcs12FromFile(certificateFile, password)
                : X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new InvalidDataException(keyFile is null
                ? $"{certificateFile}: not a readable PKCS#12 file ({ex.Message})"
                : $"{certificateFile} / {keyFile}: not a PEM certificate and matching private key ({ex.Message})", ex);
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new InvalidDataException($"{certificateFile}: the certificate has no private key");
        }

        return certificate;
    }
}
