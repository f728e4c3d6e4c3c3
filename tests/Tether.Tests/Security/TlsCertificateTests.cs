using System.Security.Cryptography.X509Certificates;
using Tether.Security;
using Tether.Tests.Support;

namespace Tether.Tests.Security;

/// <summary>Loading a server certificate from the file formats the command line accepts.</summary>
public sealed class TlsCertificateTests : IDisposable
{
    private readonly TestCertificates _certificates = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("tether-cert-load-").FullName;

    public void Dispose()
    {
        _certificates.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void A_pfx_with_a_password_and_a_pem_pair_both_load_with_their_key()
    {
        using var original = _certificates.Server();
        var pfx = Path.Combine(_dir, "server.pfx");
        File.WriteAllBytes(pfx, original.Export(X509ContentType.Pkcs12, "pw"));
        var cert = Path.Combine(_dir, "server.pem");
        var key = Path.Combine(_dir, "server-key.pem");
        File.WriteAllText(cert, original.ExportCertificatePem());
        File.WriteAllText(key, original.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());

        using var fromPfx = TlsCertificate.Load(pfx, keyFile: null, password: "pw");
        using var fromPem = TlsCertificate.Load(cert, key);

        Assert.True(fromPfx.HasPrivateKey);
        Assert.True(fromPem.HasPrivateKey);
        Assert.Equal(original.Thumbprint, fromPfx.Thumbprint);
        Assert.Equal(original.Thumbprint, fromPem.Thumbprint);
    }

    [Fact]
    public void Files_that_are_not_a_certificate_and_its_key_give_one_line()
    {
        using var other = _certificates.Client();
        var cert = Path.Combine(_dir, "server.pem");
        var wrongKey = Path.Combine(_dir, "other-key.pem");
        using (var server = _certificates.Server())
        {
            File.WriteAllText(cert, server.ExportCertificatePem());
        }

        File.WriteAllText(wrongKey, other.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        var garbage = Path.Combine(_dir, "garbage.pfx");
        File.WriteAllText(garbage, "not a certificate");

        var mismatch = Assert.Throws<InvalidDataException>(() => TlsCertificate.Load(cert, wrongKey));
        var unreadable = Assert.Throws<InvalidDataException>(() => TlsCertificate.Load(garbage));

        Assert.Contains("matching private key", mismatch.Message, StringComparison.Ordinal);
        Assert.Contains("PKCS#12", unreadable.Message, StringComparison.Ordinal);
    }
}
