namespace Tether.Interop.Tests.ClientLibraries;

/// <summary>
/// A <see cref="FactAttribute"/> that skips, with a reason, when the C++ toolchain of clients/cpp (<c>g++</c>,
/// <c>cmake</c>, <c>make</c>, <c>flock</c>) is not on PATH, or, for a test that sets <see cref="RequiresOpenSsl"/>,
/// when the OpenSSL headers the library's TLS needs are not installed.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class CppClientFactAttribute : FactAttribute
{
    public CppClientFactAttribute()
    {
        var missing = new[] { "g++", "cmake", "make", "flock" }.Where(tool => InteropFiles.FindOnPath(tool) is null).ToArray();
        if (missing.Length > 0)
        {
            Skip = $"{string.Join(", ", missing)} not on PATH: the C++ client (clients/cpp) cannot be built";
        }
    }

    /// <summary>The test needs TLS: the library is built with it only when the OpenSSL headers are installed.</summary>
    public bool RequiresOpenSsl
    {
        get => field;
        set
        {
            field = value;
            if (value && Skip is null && !File.Exists("/usr/include/openssl/ssl.h"))
            {
                Skip = "the OpenSSL headers (libssl-dev) are not installed: the C++ client is built without TLS";
            }
        }
    }
}
