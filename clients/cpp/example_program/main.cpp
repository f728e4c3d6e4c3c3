// The example program: `tether connect --json` on the C++ client. Each stdin line is one message; every client event
// is one JSON line on stdout. Exit codes: 0 closed, 1 bad command line, 2 gave up or closed for good by the server,
// 3 closed with messages the server never acknowledged.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "arguments.hpp"
#include "json_event_writer.hpp"

namespace {

int signal_pipe[2] = {-1, -1};

void on_signal(int) {
    int saved = errno;
    char byte = 1;
    [[maybe_unused]] auto n = ::write(signal_pipe[1], &byte, 1);
    errno = saved;
}

void error_line(const std::string& message) { std::fprintf(stderr, "tether: %s\n", message.c_str()); }

/// A plain client that a TLS listener hangs up on only hears that the connection closed: say what it may mean.
std::string explain(std::string message, bool tls) {
    const std::string hung_up = "closed the connection during the handshake";
    auto at = message.find(hung_up);
    if (!tls && at != std::string::npos) {
        message.insert(at + hung_up.size(), " (is it a TLS listener? try --tls)");
    }
    return message;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace tether;
    using namespace tether::example;
    std::vector<std::string> args(argv + 1, argv + argc);
    Arguments arguments;
    try {
        arguments = parse_arguments(args);
    } catch (const UsageError& e) {
        error_line(e.what());
        return 1;
    }

    ::signal(SIGPIPE, SIG_IGN);
    int closed_pipe[2];
    if (::pipe2(signal_pipe, O_NONBLOCK | O_CLOEXEC) != 0 || ::pipe2(closed_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        error_line("cannot create a pipe");
        return 2;
    }
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);

    JsonEventWriter out(JsonEventWriter::stdout_sink());
    std::mutex outcome_mutex;
    std::optional<ClosedEvent> outcome;

    Handlers handlers;
    handlers.connected = [&](const ConnectedEvent& e) { out.connected(e); };
    handlers.disconnected = [&](const DisconnectedEvent& e) { out.disconnected(e); };
    bool tls = arguments.client.tls.enabled;
    handlers.reconnecting = [&](ReconnectingEvent e) {
        e.last_error = explain(e.last_error, tls);
        out.reconnecting(e);
    };
    handlers.resumed = [&](const ResumedEvent& e) { out.resumed(e); };
    handlers.session_lost = [&](const SessionLostEvent& e) { out.session_lost(e); };
    handlers.rtt = [&](std::chrono::duration<double, std::milli> rtt) { out.rtt(rtt.count()); };
    handlers.message = [&](const Bytes& message) { out.message(message); };
    handlers.error = [&](const std::string& message) { out.error(message); };
    handlers.closed = [&](const ClosedEvent& e) {
        {
            std::lock_guard<std::mutex> lock(outcome_mutex);
            outcome = e;
        }
        char byte = 1;
        [[maybe_unused]] auto n = ::write(closed_pipe[1], &byte, 1);
    };

    std::optional<Client> client;
    try {
        client.emplace(arguments.client, handlers);
    } catch (const Error& e) {
        error_line(e.what());
        return 1;
    }

    std::thread closer;
    bool stdin_open = true;
    bool closing = false;
    std::string pending;
    auto eof_at = std::chrono::steady_clock::time_point::max();
    auto send_line = [&](std::string line) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        try {
            client->send(line);
        } catch (const Error& e) {
            if (client->state() != ClientState::closed) {
                out.error(e.what());
            }
        }
    };
    while (true) {
        pollfd fds[3] = {{closed_pipe[0], POLLIN, 0}, {signal_pipe[0], POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}};
        int timeout = -1;
        if (!stdin_open && !closing) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(eof_at - std::chrono::steady_clock::now()).count();
            timeout = left <= 0 ? 0 : static_cast<int>(left) + 1;
        }
        if (::poll(fds, 3, timeout) < 0 && errno != EINTR) {
            break;
        }
        if (fds[0].revents) {
            break;
        }
        if (fds[1].revents) {
            // SIGINT/SIGTERM: close gracefully without waiting for acknowledgements.
            client->close(std::chrono::milliseconds(0));
            break;
        }
        if (stdin_open && fds[2].revents) {
            char buffer[65536];
            ssize_t n = ::read(0, buffer, sizeof buffer);
            if (n > 0) {
                pending.append(buffer, static_cast<std::size_t>(n));
                std::size_t start = 0;
                for (std::size_t newline; (newline = pending.find('\n', start)) != std::string::npos; start = newline + 1) {
                    send_line(pending.substr(start, newline - start));
                }
                pending.erase(0, start);
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                if (!pending.empty()) {
                    send_line(pending);
                    pending.clear();
                }
                stdin_open = false;
                eof_at = std::chrono::steady_clock::now() + arguments.eof_delay;
            }
        }
        if (!stdin_open && !closing && std::chrono::steady_clock::now() >= eof_at) {
            closing = true;
            closer = std::thread([&] { client->close(arguments.close_timeout); });
        }
    }
    if (closer.joinable()) {
        closer.join();
    }
    client->close(std::chrono::milliseconds(0));

    ClosedEvent ended;
    {
        std::lock_guard<std::mutex> lock(outcome_mutex);
        ended = outcome.value_or(ClosedEvent{"closed", "", "", client->unacknowledged()});
    }
    if (ended.reason == "closed" && ended.error.empty()) {
        if (ended.unacknowledged > 0) {
            std::string message = std::to_string(ended.unacknowledged) + " line(s) sent but never acknowledged by the server";
            out.error(message);
            out.closed("closed", "", ended.unacknowledged);
            error_line(message);
            return 3;
        }
        out.closed("closed", "", 0);
        return 0;
    }
    std::string error = explain(ended.error, tls);
    out.error(error);
    out.closed(ended.reason, ended.description, ended.unacknowledged);
    error_line(error);
    return 2;
}
