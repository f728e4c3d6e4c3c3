using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Tether.Diagnostics;
using Tether.Protocol;
using Tether.Transport;
using Tether.Transport.Tls;

namespace Tether.Client;

/// <summary>
/// Opens one connection for the client: TCP connect (bounded by the connect timeout), the transport the options chose,
/// TLS when asked for, HELLO and the WELCOME that answers it. Every failure becomes a <see cref="TetherException"/>
/// that says what went wrong in one line (with the close code when the server refused).
/// </summary>
internal static class ClientConnector
{
    /// <summary>Binds the local address only; the port is left to connect, so binding does not use up ports early.</summary>
    private static void BindLocal(Socket socket, IPAddress address)
    {
        if (OperatingSystem.IsLinux() && address.AddressFamily == AddressFamily.InterNetwork)
        {
            // IP_BIND_ADDRESS_NO_PORT (24): without it every bind reserves an ephemeral port for the address.
            socket.SetRawSocketOption((int)SocketOptionLevel.IP, 24, BitConverter.GetBytes(1));
        }

        socket.Bind(new IPEndPoint(address, 0));
    }

    /// <summary>
    /// Connects and completes the handshake within <see cref="TetherClientOptions.ConnectTimeout"/>. Throws
    /// <see cref="TetherException"/> carrying the close code when the server refuses, or a socket/timeout error.
    /// </summary>
    public static async Task<ClientConnection> ConnectAsync(EndPoint endPoint, HelloFrame hello, TetherClientOptions options, TimeProvider time, TetherMetrics metrics, TransportFactory transports, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        SocketTransport? transport = null;
        try
        {
            try
            {
                if (options.LocalAddress is { } localAddress)
                {
                    BindLocal(socket, localAddress);
                }

                await socket.ConnectAsync(endPoint, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TetherException($"connecting to {EndPointText.Format(endPoint)} timed out after {options.ConnectTimeout.TotalSeconds:0.###} s");
            }
            catch (SocketException ex)
            {
                throw new TetherException($"cannot connect to {EndPointText.Format(endPoint)}: {Explain(ex)}", ex);
            }

            SocketTuning.Apply(socket, options.Tcp);
            const int handshakeBuffer = ProtocolConstants.HeaderSize + ProtocolConstants.HandshakeMaxBodySize;
            if (options.Tls is { } tls)
            {
                var tlsTransport = transports.CreateClientTls(socket, handshakeBuffer);
                transport = tlsTransport;
                await AuthenticateTlsAsync(tlsTransport, ForEndPoint(tls, endPoint), endPoint, linked.Token).ConfigureAwait(false);
            }
            else
            {
                transport = transports.Create(socket, handshakeBuffer);
            }

            using var abortOnTimeout = linked.Token.Register(static s => ((SocketTransport)s!).Abort(), transport);
            using (var scope = transport.BeginSend())
            {
                hello.Write(scope.Writer);
            }

            var welcome = await ReadWelcomeAsync(transport, endPoint).ConfigureAwait(false);
            if (timeout.IsCancellationRequested)
            {
                throw new TetherException($"handshake with {EndPointText.Format(endPoint)} timed out after {options.ConnectTimeout.TotalSeconds:0.###} s");
            }

            return new ClientConnection(transport, endPoint, welcome, options, time, metrics);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            Close(socket, transport);
            cancellationToken.ThrowIfCancellationRequested();

            var what = timeout.IsCancellationRequested ? $"timed out after {options.ConnectTimeout.TotalSeconds:0.###} s" : ex.Message;
            throw new TetherException($"handshake with {EndPointText.Format(endPoint)} failed: {what}", ex);
        }
        catch (TetherProtocolException ex) when (transport is not null)
        {
            // Protocol section 7.3: a wrong or malformed first frame from the server is answered like any violation,
            // with CLOSE 1002 or 1004, so the server learns why (tether conformance checks it).
            await SendCloseAsync(transport, ex).ConfigureAwait(false);
            Close(socket, transport);
            throw;
        }
        catch
        {
            Close(socket, transport);
            throw;
        }
    }

    private static async Task SendCloseAsync(SocketTransport transport, TetherProtocolException violation)
    {
        using (var scope = transport.BeginSend())
        {
            new CloseFrame { Code = violation.Code, Reason = violation.Message }.Write(scope.Writer);
        }

        // Flushed and half-closed, so the CLOSE is not lost to a reset; bounded, as the server may not be reading.
        await transport.ShutdownSendAsync().WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>
    /// The TLS handshake. A certificate the client refuses (or a server that refuses the client's) ends the attempts with
    /// AUTH_FAILED: trying again would meet the same certificate. A network failure during the handshake is retried.
    /// </summary>
    private static async Task AuthenticateTlsAsync(TlsTransport transport, SslClientAuthenticationOptions tls, EndPoint endPoint, CancellationToken cancellationToken)
    {
        try
        {
            await transport.AuthenticateAsClientAsync(tls, cancellationToken).ConfigureAwait(false);
        }
        catch (AuthenticationException ex)
        {
            throw new TetherException($"TLS handshake with {EndPointText.Format(endPoint)} failed: {ex.Message}", CloseCode.AuthFailed, ex);
        }
    }

    /// <summary>The TLS options with the name to verify defaulted to the endpoint's host, as a browser would.</summary>
    private static SslClientAuthenticationOptions ForEndPoint(SslClientAuthenticationOptions tls, EndPoint endPoint) => tls.TargetHost is not null
        ? tls
        : new SslClientAuthenticationOptions
        {
            TargetHost = endPoint switch
            {
                DnsEndPoint dns => dns.Host,
                IPEndPoint ip => ip.Address.ToString(),
                _ => null,
            },
            RemoteCertificateValidationCallback = tls.RemoteCertificateValidationCallback,
            LocalCertificateSelectionCallback = tls.LocalCertificateSelectionCallback,
            ClientCertificates = tls.ClientCertificates,
            ClientCertificateContext = tls.ClientCertificateContext,
            EnabledSslProtocols = tls.EnabledSslProtocols,
            CertificateRevocationCheckMode = tls.CertificateRevocationCheckMode,
            CertificateChainPolicy = tls.CertificateChainPolicy,
            ApplicationProtocols = tls.ApplicationProtocols,
            AllowRenegotiation = tls.AllowRenegotiation,
            AllowTlsResume = tls.AllowTlsResume,
        };

    /// <summary>A transport also leaves the readiness engine when it closes; a bare socket only needs disposing.</summary>
    private static void Close(Socket socket, SocketTransport? transport)
    {
        if (transport is null)
        {
            socket.Dispose();
        }
        else
        {
            transport.Abort();
        }
    }

    private static async Task<WelcomeFrame> ReadWelcomeAsync(SocketTransport transport, EndPoint endPoint)
    {
        while (true)
        {
            var data = await transport.ReceiveAsync().ConfigureAwait(false);
            if (data.IsEmpty)
            {
                throw new TetherException($"{EndPointText.Format(endPoint)} closed the connection during the handshake");
            }

            var buffer = new ReadOnlySequence<byte>(data);
            if (!TetherFrame.TryRead(ref buffer, ProtocolConstants.HandshakeMaxBodySize, out var frame))
            {
                transport.Consume(0);
                continue;
            }

            switch (frame.Type)
            {
                case FrameType.Welcome:
                    var welcome = WelcomeFrame.Parse(frame);
                    transport.Consume(frame.EncodedLength);
                    if (welcome.Version != ProtocolConstants.Version)
                    {
                        throw new TetherException($"{EndPointText.Format(endPoint)} chose protocol version {welcome.Version}, which this client does not speak", CloseCode.UnsupportedVersion);
                    }

                    return welcome;
                case FrameType.Close:
                    var close = ParseRefusal(frame, endPoint);
                    var reason = close.Reason.Length > 0 ? close.Reason : close.Code.ToWireName();
                    throw new TetherException($"{EndPointText.Format(endPoint)} refused the connection: {reason} ({(ushort)close.Code} {close.Code.ToWireName()})", close.Code)
                    {
                        RetryAfter = close.RetryAfterMs > 0 ? TimeSpan.FromMilliseconds(close.RetryAfterMs) : null,
                        AlternateEndPoints = AlternateEndpoints.From(close.Extensions),
                    };
                default:
                    throw new TetherProtocolException(CloseCode.ProtocolError, $"expected WELCOME, got {frame.Type}");
            }
        }
    }

    /// <summary>
    /// A malformed CLOSE is never answered (protocol section 2.5), so it becomes a plain failure rather than the
    /// violation that <see cref="ConnectAsync"/> answers with a CLOSE of its own; the client retries as after 1002.
    /// </summary>
    private static CloseFrame ParseRefusal(in TetherFrame frame, EndPoint endPoint)
    {
        try
        {
            return CloseFrame.Parse(frame);
        }
        catch (TetherProtocolException ex)
        {
            throw new TetherException($"{EndPointText.Format(endPoint)} sent a malformed CLOSE: {ex.Message}", CloseCode.ProtocolError, ex);
        }
    }

    private static string Explain(SocketException ex) => ex.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostNotFound or SocketError.NoData => "host not found",
        SocketError.TimedOut => "timed out",
        SocketError.NetworkUnreachable => "network unreachable",
        SocketError.HostUnreachable => "host unreachable",
        _ => ex.Message,
    };
}
