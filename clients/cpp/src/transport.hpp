// Sockets, the wake pipe and TLS, each owned by a class that releases it in its destructor.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "tether/endpoints.hpp"
#include "tether/tether.hpp"

namespace tether::detail {

using Clock = std::chrono::steady_clock;

/// A failed read, write, connect or TLS step; the connection is lost.
class IoError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class FileDescriptor {
public:
    FileDescriptor() = default;
    explicit FileDescriptor(int fd) : fd_(fd) {}
    ~FileDescriptor();
    FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.release()) {}
    FileDescriptor& operator=(FileDescriptor&& other) noexcept;
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return fd_; }
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }

private:
    int fd_ = -1;
};

/// A non-blocking self-pipe: other threads wake the I/O thread out of poll().
class Waker {
public:
    Waker();
    void wake();
    void drain();
    int fd() const { return read_.get(); }

private:
    FileDescriptor read_;
    FileDescriptor write_;
};

/// Why a wait ended.
enum class WaitResult { ready, timeout, woken };

/// Polls `fd` for `events` and the waker until `deadline`.
WaitResult wait_fd(int fd, short events, Waker& waker, Clock::time_point deadline);

/// A byte stream: a plain TCP socket or TLS over one.
class Transport {
public:
    virtual ~Transport() = default;
    int fd() const { return socket_.get(); }
    /// >0 bytes read, 0 at end of stream, -1 when it would block. Throws IoError.
    virtual ssize_t read(std::uint8_t* buffer, std::size_t size) = 0;
    /// >=0 bytes written, -1 when it would block. Throws IoError.
    virtual ssize_t write(const std::uint8_t* data, std::size_t size) = 0;
    /// True when the last operation needs the socket writable to make progress (TLS).
    virtual bool wants_write() const { return false; }
    /// True when input was already taken off the socket but not yet returned by read() (TLS records): poll() would
    /// not report it.
    virtual bool has_buffered_input() const { return false; }
    /// Ends our sending direction (after the CLOSE frame).
    virtual void shutdown_write();

protected:
    explicit Transport(FileDescriptor socket) : socket_(std::move(socket)) {}
    FileDescriptor socket_;
};

/// Connects a non-blocking TCP socket to one of the endpoint's addresses before `deadline`. Returns nullptr when the
/// waker fired and `should_stop` says so. Throws IoError naming the endpoint.
FileDescriptor connect_tcp(const Endpoint& endpoint, Clock::time_point deadline, Waker& waker,
                           const std::function<bool()>& should_stop);

std::unique_ptr<Transport> plain_transport(FileDescriptor socket);

/// The TLS configuration shared by every connection of a client.
class TlsContext {
public:
    /// Throws Error when TLS is unavailable in this build or the CA file cannot be loaded.
    explicit TlsContext(const TlsOptions& options);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    /// Runs the TLS handshake over `socket` before `deadline`; nullptr when stopped. Throws IoError.
    std::unique_ptr<Transport> handshake(FileDescriptor socket, const Endpoint& endpoint, Clock::time_point deadline,
                                         Waker& waker, const std::function<bool()>& should_stop);

    static bool available();

private:
    struct State;
    std::unique_ptr<State> state_;
};

std::string system_error_text(int error);

}  // namespace tether::detail
