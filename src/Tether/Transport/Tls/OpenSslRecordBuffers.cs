using System.Net.Security;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Tether.Transport.Tls;

/// <summary>
/// Lets OpenSSL free a TLS connection's record buffers while it is idle. Without <c>SSL_MODE_RELEASE_BUFFERS</c> (which
/// .NET does not set), every <c>SSL</c> object keeps a read and a write record buffer of about 16.7 KB each from its
/// handshake to its end: about 33 KB of native memory per idle TLS connection. With it, OpenSSL allocates a buffer when a
/// record is read or written and frees it once the record is done. <see cref="SslStream"/> does not expose its
/// <c>SSL</c> object, so this reads it from the stream's private security context; where that context is not the
/// runtime's OpenSSL handle type or OpenSSL's <c>SSL_ctrl</c> cannot be found (another TLS stack, another runtime's
/// layout), it does nothing. It runs only when the AppContext switch <c>Tether.Tls.ReleaseRecordBuffers</c> is true: the
/// runtime's <see cref="SslStream"/> reads and writes one <c>SSL</c> object from two threads at once, and OpenSSL makes no
/// promise for that with buffers freed and allocated per record.
/// </summary>
internal static unsafe class OpenSslRecordBuffers
{
    private const int SslCtrlMode = 33;
    private const nint SslModeReleaseBuffers = 0x10;

    private static readonly object Gate = new();
    private static bool _resolved;
    private static FieldInfo? _securityContext;
    private static delegate* unmanaged<nint, int, nint, nint, nint> _sslCtrl;

    /// <summary>The name of the <see cref="AppContext"/> switch that turns this on.</summary>
    public const string SwitchName = "Tether.Tls.ReleaseRecordBuffers";

    /// <summary>When the switch is on, sets <c>SSL_MODE_RELEASE_BUFFERS</c> on the stream's <c>SSL</c> object (after its handshake); false when it did not.</summary>
    public static bool TryRelease(SslStream stream) =>
        AppContext.TryGetSwitch(SwitchName, out var on) && on && TrySetReleaseMode(stream);

    /// <summary>Sets <c>SSL_MODE_RELEASE_BUFFERS</c> on the stream's <c>SSL</c> object whatever the switch says; false when it cannot.</summary>
    internal static bool TrySetReleaseMode(SslStream stream)
    {
        if (!Resolve() || _securityContext!.GetValue(stream) is not SafeHandle { IsInvalid: false, IsClosed: false } ssl)
        {
            return false;
        }

        var added = false;
        try
        {
            ssl.DangerousAddRef(ref added);
            var mode = _sslCtrl(ssl.DangerousGetHandle(), SslCtrlMode, SslModeReleaseBuffers, 0);
            return (mode & SslModeReleaseBuffers) != 0;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            if (added)
            {
                ssl.DangerousRelease();
            }
        }
    }

    private static bool Resolve()
    {
        if (Volatile.Read(ref _resolved))
        {
            return _sslCtrl != null;
        }

        lock (Gate)
        {
            if (!_resolved)
            {
                // Only the libssl that the runtime has already loaded (for this stream's handshake) will do: its SSL
                // objects are the ones SslStream holds.
                var field = typeof(SslStream).GetField("_securityContext", BindingFlags.NonPublic | BindingFlags.Instance);
                // The handle must be the runtime's own OpenSSL context (whose handle is the SSL pointer), nothing else.
                if (OperatingSystem.IsLinux() && field is not null && field.FieldType.Name == "SafeDeleteSslContext"
                    && typeof(SafeHandle).IsAssignableFrom(field.FieldType)
                    && LoadedLibSsl() is { } path && NativeLibrary.TryLoad(path, out var library)
                    && NativeLibrary.TryGetExport(library, "SSL_ctrl", out var sslCtrl))
                {
                    _securityContext = field;
                    _sslCtrl = (delegate* unmanaged<nint, int, nint, nint, nint>)sslCtrl;
                }

                Volatile.Write(ref _resolved, true);
            }
        }

        return _sslCtrl != null;
    }

    private static string? LoadedLibSsl()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                var start = line.IndexOf('/', StringComparison.Ordinal);
                if (start >= 0 && line.AsSpan(start).Contains("/libssl.so", StringComparison.Ordinal))
                {
                    return line[start..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}
