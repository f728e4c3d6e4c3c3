package dev.tether.client;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** Wraps a connected socket in TLS: the platform's trust store, a CA PEM file, or (for development) no checks. */
final class TlsSockets {
    private final SSLContext context;
    private final boolean insecure;
    private final String serverName;

    TlsSockets(TetherClientOptions options) throws IOException {
        this.insecure = options.insecure();
        this.serverName = options.serverName();
        try {
            context = SSLContext.getInstance("TLS");
            TrustManager[] trust = null;
            if (insecure) {
                trust = new TrustManager[] {new TrustAll()};
            } else if (options.caFile() != null) {
                trust = fromPem(options);
            }
            context.init(null, trust, null);
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS setup failed: " + e.getMessage(), e);
        }
    }

    private static TrustManager[] fromPem(TetherClientOptions options) throws IOException, GeneralSecurityException {
        Collection<? extends Certificate> certificates;
        try (InputStream in = Files.newInputStream(options.caFile())) {
            certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException e) {
            throw new IOException("cannot read the CA file " + options.caFile() + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IOException("the CA file " + options.caFile() + " holds no valid PEM certificate", e);
        }
        if (certificates.isEmpty()) {
            throw new IOException("the CA file " + options.caFile() + " holds no certificate");
        }
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int i = 0;
        for (Certificate certificate : certificates) {
            store.setCertificateEntry("ca-" + i++, certificate);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        return factory.getTrustManagers();
    }

    /** Runs the TLS handshake over {@code plain}; the caller has set the socket's read timeout. */
    SSLSocket wrap(Socket plain, Endpoint endpoint) throws IOException {
        String name = serverName != null ? serverName : endpoint.host();
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, name, endpoint.port(), true);
        SSLParameters parameters = socket.getSSLParameters();
        if (!insecure) {
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
        }
        if (!isAddress(name)) {
            parameters.setServerNames(List.of(new SNIHostName(name)));
        }
        socket.setSSLParameters(parameters);
        try {
            socket.startHandshake();
        } catch (IOException e) {
            socket.close();
            throw new IOException("TLS handshake with " + endpoint + " failed: " + explain(e), e);
        }
        return socket;
    }

    /** The JDK's words for an untrusted certificate name its internals; say what it means instead. */
    private static String explain(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertPathBuilderException) {
                return "the server's certificate is not signed by a trusted CA (give its CA file, or use the "
                    + "insecure option for development only)";
            }
        }
        return e.getMessage();
    }

    private static boolean isAddress(String host) {
        if (host.indexOf(':') >= 0) {
            return true;
        }
        return host.matches("[0-9.]+") && InetAddressCheck.isIpv4(host);
    }

    /** Trusts every certificate: only for development (the insecure option). */
    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    private static final class InetAddressCheck {
        static boolean isIpv4(String host) {
            try {
                return InetAddress.getByName(host).getHostAddress().equals(host);
            } catch (IOException e) {
                return false;
            }
        }
    }
}
