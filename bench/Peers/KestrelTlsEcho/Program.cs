// Kestrel TLS echo peer: the KestrelEcho peer's ConnectionHandler behind Kestrel's own TLS (UseHttps on the listener), no
// HTTP; every decrypted byte is written back. The certificate is a PEM pair (tether cert create makes one) or a .pfx.
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
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
try
{
    await app.StartAsync();
}
catch (IOException e)
{
    Console.Error.WriteLine($"KestrelTlsEcho: cannot listen on 127.0.0.1:{commandLine.Port}: {e.Message}");
    return 1;
}

// Kestrel reports the port it was given for port 0 through the server's addresses feature.
var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
commandLine.AnnounceListening(new Uri(address).Port);
try
{
    // The host's console lifetime ends the wait on SIGTERM or Ctrl-C.
    await app.WaitForShutdownAsync();
}
finally
{
    commandLine.Retract();
}

return 0;
