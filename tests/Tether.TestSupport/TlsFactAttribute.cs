using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Xunit;

namespace Tether.TestSupport;

/// <summary>A <see cref="FactAttribute"/> that skips, saying why, where TLS cannot run (no TLS library to make a certificate with).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class TlsFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(Probe);

    public TlsFactAttribute()
    {
        if (Unavailable.Value is { } reason)
        {
            Skip = reason;
        }
    }

    private static string? Probe()
    {
        try
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var certificate = new CertificateRequest("CN=probe", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
            return null;
        }
        catch (Exception ex) when (ex is CryptographicException or PlatformNotSupportedException or DllNotFoundException or TypeInitializationException)
        {
            return $"TLS cannot run here: {ex.Message}";
        }
    }
}
