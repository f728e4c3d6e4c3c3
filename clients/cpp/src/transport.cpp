#include "transport.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#ifdef TETHER_HAVE_OPENSSL
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#endif

namespace tether::detail {

std::string system_error_text(int error) { return std::strerror(error); }

FileDescriptor::~FileDescriptor() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = other.release();
    }
    return *this;
}

Waker::Waker() {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
        throw Error("cannot create the wake pipe: " + system_error_text(errno));
    }
    read_ = FileDescriptor(fds[0]);
    write_ = FileDescriptor(fds[1]);
}

void Waker::wake() {
    std::uint8_t byte = 1;
    // A full pipe already guarantees a wake-up, so EAGAIN is fine.
    [[maybe_unused]] auto n = ::write(write_.get(), &byte, 1);
}

void Waker::drain() {
    std::uint8_t buffer[64];
    while (::read(read_.get(), buffer, sizeof buffer) > 0) {
    }
}

static int poll_timeout(Clock::time_point deadline) {
    auto now = Clock::now();
    if (deadline <= now) {
        return 0;
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    return ms > 1000000 ? 1000000 : static_cast<int>(ms);
}

WaitResult wait_fd(int fd, short events, Waker& waker, Clock::time_point deadline) {
    while (true) {
        pollfd fds[2] = {{waker.fd(), POLLIN, 0}, {fd, events, 0}};
        int n = ::poll(fds, fd >= 0 ? 2 : 1, poll_timeout(deadline));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw IoError("poll failed: " + system_error_text(errno));
        }
        if (fds[0].revents) {
            waker.drain();
            return WaitResult::woken;
        }
        if (n > 0 && fd >= 0 && fds[1].revents) {
            return WaitResult::ready;
        }
        if (Clock::now() >= deadline) {
            return WaitResult::timeout;
        }
    }
}

void Transport::shutdown_write() { ::shutdown(socket_.get(), SHUT_WR); }

namespace {

class PlainTransport : public Transport {
public:
    explicit PlainTransport(FileDescriptor socket) : Transport(std::move(socket)) {}

    ssize_t read(std::uint8_t* buffer, std::size_t size) override {
        while (true) {
            ssize_t n = ::recv(fd(), buffer, size, 0);
            if (n >= 0) {
                return n;
            }
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return -1;
            }
            throw IoError(system_error_text(errno));
        }
    }

    ssize_t write(const std::uint8_t* data, std::size_t size) override {
        while (true) {
            // MSG_NOSIGNAL: a peer that went away gives EPIPE instead of killing the process.
            ssize_t n = ::send(fd(), data, size, MSG_NOSIGNAL);
            if (n >= 0) {
                return n;
            }
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return -1;
            }
            throw IoError(system_error_text(errno));
        }
    }
};

}  // namespace

std::unique_ptr<Transport> plain_transport(FileDescriptor socket) {
    return std::make_unique<PlainTransport>(std::move(socket));
}

FileDescriptor connect_tcp(const Endpoint& endpoint, Clock::time_point deadline, Waker& waker,
                           const std::function<bool()>& should_stop) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* found = nullptr;
    std::string port = std::to_string(endpoint.port);
    int rc = ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) {
        hints.ai_flags = 0;
        rc = ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found);
    }
    if (rc != 0) {
        throw IoError("cannot resolve " + endpoint.host + ": " + ::gai_strerror(rc));
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
    std::string last_error = "no address";
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
        FileDescriptor socket(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
        if (socket.get() < 0) {
            last_error = system_error_text(errno);
            continue;
        }
        int one = 1;
        ::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::connect(socket.get(), a->ai_addr, a->ai_addrlen) == 0) {
            return socket;
        }
        if (errno != EINPROGRESS) {
            last_error = system_error_text(errno);
            continue;
        }
        while (true) {
            auto result = wait_fd(socket.get(), POLLOUT, waker, deadline);
            if (result == WaitResult::woken) {
                if (should_stop()) {
                    return FileDescriptor();
                }
                continue;
            }
            if (result == WaitResult::timeout) {
                throw IoError("connect to " + endpoint.to_string() + " timed out");
            }
            break;
        }
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &length);
        if (error == 0) {
            return socket;
        }
        last_error = system_error_text(error);
    }
    throw IoError("connect to " + endpoint.to_string() + " failed: " + last_error);
}

#ifdef TETHER_HAVE_OPENSSL

namespace {

std::string openssl_error(const std::string& what) {
    unsigned long code = ERR_get_error();
    std::string text = what;
    if (code != 0) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        text += ": ";
        text += buffer;
    }
    ERR_clear_error();
    return text;
}

struct SslDeleter {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
};

class TlsTransport : public Transport {
public:
    TlsTransport(FileDescriptor socket, std::unique_ptr<SSL, SslDeleter> ssl)
        : Transport(std::move(socket)), ssl_(std::move(ssl)) {}

    ssize_t read(std::uint8_t* buffer, std::size_t size) override {
        int n = SSL_read(ssl_.get(), buffer, static_cast<int>(size));
        if (n > 0) {
            want_write_ = false;
            return n;
        }
        return outcome(n, "TLS read failed");
    }

    ssize_t write(const std::uint8_t* data, std::size_t size) override {
        if (size == 0) {
            return 0;
        }
        int n = SSL_write(ssl_.get(), data, static_cast<int>(size));
        if (n > 0) {
            want_write_ = false;
            return n;
        }
        return outcome(n, "TLS write failed");
    }

    bool wants_write() const override { return want_write_; }

    bool has_buffered_input() const override { return SSL_pending(ssl_.get()) > 0; }

    void shutdown_write() override {
        // close_notify, then the TCP half-close; the answer is not awaited.
        SSL_shutdown(ssl_.get());
        ERR_clear_error();
        Transport::shutdown_write();
    }

private:
    ssize_t outcome(int n, const char* what) {
        int error = SSL_get_error(ssl_.get(), n);
        switch (error) {
            case SSL_ERROR_WANT_READ:
                want_write_ = false;
                return -1;
            case SSL_ERROR_WANT_WRITE:
                want_write_ = true;
                return -1;
            case SSL_ERROR_ZERO_RETURN:
                return 0;
            case SSL_ERROR_SYSCALL:
                if (errno == 0 || ERR_peek_error() == 0) {
                    ERR_clear_error();
                    if (errno == 0) {
                        return 0;  // EOF without close_notify: the connection ended
                    }
                    throw IoError(system_error_text(errno));
                }
                [[fallthrough]];
            default:
                throw IoError(openssl_error(what));
        }
    }

    std::unique_ptr<SSL, SslDeleter> ssl_;
    bool want_write_ = false;
};

}  // namespace

struct TlsContext::State {
    SSL_CTX* ctx = nullptr;
    TlsOptions options;
    ~State() {
        if (ctx != nullptr) {
            SSL_CTX_free(ctx);
        }
    }
};

TlsContext::TlsContext(const TlsOptions& options) : state_(std::make_unique<State>()) {
    state_->options = options;
    state_->ctx = SSL_CTX_new(TLS_client_method());
    if (state_->ctx == nullptr) {
        throw Error(openssl_error("cannot create the TLS context"));
    }
    SSL_CTX_set_min_proto_version(state_->ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(state_->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (options.insecure) {
        SSL_CTX_set_verify(state_->ctx, SSL_VERIFY_NONE, nullptr);
    } else {
        SSL_CTX_set_verify(state_->ctx, SSL_VERIFY_PEER, nullptr);
        if (!options.ca_file.empty()) {
            if (SSL_CTX_load_verify_locations(state_->ctx, options.ca_file.c_str(), nullptr) != 1) {
                throw Error(openssl_error("cannot load the CA file '" + options.ca_file + "'"));
            }
        } else if (SSL_CTX_set_default_verify_paths(state_->ctx) != 1) {
            throw Error(openssl_error("cannot load the system's trusted CAs"));
        }
    }
}

TlsContext::~TlsContext() = default;

bool TlsContext::available() { return true; }

std::unique_ptr<Transport> TlsContext::handshake(FileDescriptor socket, const Endpoint& endpoint,
                                                 Clock::time_point deadline, Waker& waker,
                                                 const std::function<bool()>& should_stop) {
    std::unique_ptr<SSL, SslDeleter> ssl(SSL_new(state_->ctx));
    if (!ssl) {
        throw IoError(openssl_error("cannot create a TLS session"));
    }
    SSL_set_fd(ssl.get(), socket.get());
    std::string name = state_->options.server_name.empty() ? endpoint.host : state_->options.server_name;
    in6_addr address6{};
    in_addr address4{};
    bool is_ip = ::inet_pton(AF_INET, name.c_str(), &address4) == 1 || ::inet_pton(AF_INET6, name.c_str(), &address6) == 1;
    if (!is_ip) {
        SSL_set_tlsext_host_name(ssl.get(), name.c_str());
    }
    if (!state_->options.insecure) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
        int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) : X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
        if (ok != 1) {
            throw IoError(openssl_error("cannot set the TLS server name '" + name + "'"));
        }
    }
    while (true) {
        ERR_clear_error();
        int rc = SSL_connect(ssl.get());
        if (rc == 1) {
            break;
        }
        int error = SSL_get_error(ssl.get(), rc);
        short events;
        if (error == SSL_ERROR_WANT_READ) {
            events = POLLIN;
        } else if (error == SSL_ERROR_WANT_WRITE) {
            events = POLLOUT;
        } else {
            long verify = SSL_get_verify_result(ssl.get());
            if (verify != X509_V_OK) {
                throw IoError("TLS handshake with " + endpoint.to_string() + " failed: certificate verification: " +
                              X509_verify_cert_error_string(verify));
            }
            throw IoError(openssl_error("TLS handshake with " + endpoint.to_string() + " failed"));
        }
        auto result = wait_fd(socket.get(), events, waker, deadline);
        if (result == WaitResult::timeout) {
            throw IoError("TLS handshake with " + endpoint.to_string() + " timed out");
        }
        if (result == WaitResult::woken && should_stop()) {
            return nullptr;
        }
    }
    return std::make_unique<TlsTransport>(std::move(socket), std::move(ssl));
}

#else

struct TlsContext::State {};

TlsContext::TlsContext(const TlsOptions&) {
    throw Error("TLS is not available: this build of the Tether C++ client has no OpenSSL (install libssl-dev and rebuild)");
}

TlsContext::~TlsContext() = default;

bool TlsContext::available() { return false; }

std::unique_ptr<Transport> TlsContext::handshake(FileDescriptor, const Endpoint&, Clock::time_point, Waker&,
                                                 const std::function<bool()>&) {
    throw IoError("TLS is not available in this build");
}

#endif

}  // namespace tether::detail
