// Kestrel TLS echo peer: the KestrelEcho peer's ConnectionHandler behind Kestrel's own TLS (UseHttps on the listener), no
// HTTP; every decrypted byte is written back. The certificate is a PEM pair (tether cert create makes one) or a .pfx.
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Tether.Bench.Peers;

const string Usage = "usage: KestrelTlsEcho --tls-cert cert.pem [--tls-key key.pem] [--port P] [--port-file F]";
string? certificateFile = null;
string? keyFile = null;
var rest = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--tls-cert" when !string.IsNullOrEmpty(value):
            certificateFile = value;
            i++;
            break;
        case "--tls-key" when !string.IsNullOrEmpty(value):
            keyFile = value;
            i++;
            break;
        default:
            rest.Add(args[i]);
            break;
    }
}

var commandLine = PeerCommandLine.Parse([.. rest], "KestrelTlsEcho");
if (commandLine is null || certificateFile is null)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

X509Certificate2 certificate;
try
{
    certificate = keyFile is null
        ? X509CertificateLoader.LoadPkcs12FromFile(certificateFile, password: null)
        : X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
{
    Console.Error.WriteLine($"KestrelTlsEcho: cannot load the certificate: {e.Message}");
    return 1;
}

var builder = WebApplication.CreateBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(kestrel =>
    kestrel.Listen(IPAddress.Loopback, commandLine.Port, listen =>
    {
        listen.UseHttps(certificate);
        listen.UseConnectionHandler<EchoConnectionHandler>();
    }));

await using var app = builder.Build();
return await KestrelPeerHost.RunAsync(app, "KestrelTlsEcho", commandLine);
