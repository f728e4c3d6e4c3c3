using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using Tether.Protocol;
using Tether.Sessions;

namespace Tether.Cli.Output;

/// <summary>
/// Writes one JSON object per line for every client event, each with <c>event</c> and <c>ts</c> (UTC, milliseconds),
/// and flushes each line so a script reading the pipe sees it at once.
/// </summary>
internal sealed class JsonEventWriter : IClientEventSink, IDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // The output is a pipe read by scripts, never embedded in HTML, so non-ASCII text stays readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly Lock _gate = new();
    private readonly Stream _output;
    private readonly TextWriter _errors;
    private readonly TimeProvider _time;
    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private readonly Utf8JsonWriter _json;
    private bool _outputBroken;

    public JsonEventWriter(Stream output, TextWriter errors, TimeProvider? time = null)
    {
        _output = output;
        _errors = errors;
        _time = time ?? TimeProvider.System;
        _json = new Utf8JsonWriter(_buffer, WriterOptions);
    }

    // The first attempt is not an event of its own in JSON: "connected" or the reconnect events follow promptly.
    public void Connecting(EndPoint? endPoint)
    {
    }

    public void Connected(EndPoint? endPoint) => Write("connected", endPoint, static (json, endPoint) => json.WriteString("endpoint", EndPointDisplay.Format(endPoint)));

    public void Disconnected(DisconnectInfo info) => Write("disconnected", info, static (json, info) =>
    {
        json.WriteString("reason", info.ReasonName);
        if (info.Code is { } code)
        {
            json.WriteNumber("code", (ushort)code);
        }
        else
        {
            json.WriteNull("code");
        }

        json.WriteString("description", info.Description);
    });

    public void Reconnecting(int attempt, TimeSpan delay, EndPoint? endPoint, Exception? lastError) =>
        Write("reconnecting", (attempt, delay, endPoint, lastError), static (json, e) =>
        {
            json.WriteNumber("attempt", e.attempt);
            json.WriteNumber("delayMs", (long)Math.Round(e.delay.TotalMilliseconds));
            if (e.endPoint is not null)
            {
                json.WriteString("endpoint", EndPointDisplay.Format(e.endPoint));
            }

            if (e.lastError is not null)
            {
                json.WriteString("lastError", e.lastError.Message);
            }
        });

    public void RoundTripTime(TimeSpan roundTripTime) =>
        Write("rtt", roundTripTime, static (json, rtt) => json.WriteNumber("rttMs", Math.Round(rtt.TotalMilliseconds, 3)));

    public void SessionResumed(SessionId sessionId, ulong serverLastReceived, int resent) =>
        Write("resumed", (sessionId, serverLastReceived, resent), static (json, e) =>
        {
            json.WriteString("sessionId", e.sessionId.ToString());
            json.WriteNumber("serverLastReceived", e.serverLastReceived);
            json.WriteNumber("resent", e.resent);
        });

    public void SessionLost(SessionLostInfo info) => Write("session-lost", info, static (json, info) =>
    {
        json.WriteString("sessionId", info.SessionId.ToString());
        json.WriteString("reason", SessionLostReasonText.Format(info.Reason));
        json.WriteNumber("unacknowledgedSent", info.UnacknowledgedSent);
        // Null, not absent, when the server does not know (e.g. it restarted): scripts can tell "0 lost" from "unknown".
        if (info.PeerReportedLost is { } lost)
        {
            json.WriteNumber("serverReportedLost", lost);
        }
        else
        {
            json.WriteNull("serverReportedLost");
        }

        json.WriteString("description", info.Description);
    });

    public void Message(ReadOnlySpan<byte> message)
    {
        // Decoded before taking the lock: the span cannot enter the lambda, strings can.
        var text = MessageText.ToText(message);
        var hex = MessageText.IsText(message) ? null : MessageText.ToHex(message);
        Write("message", (text, hex), static (json, m) =>
        {
            json.WriteString("data", m.text);
            if (m.hex is not null)
            {
                json.WriteString("hex", m.hex);
            }
        });
    }

    public void Closed(string reason, string? description, string? error, int unacknowledged = 0)
    {
        if (error is not null)
        {
            Error(error);
        }

        Write("closed", (reason, description, unacknowledged), static (json, c) =>
        {
            json.WriteString("reason", c.reason);
            if (c.description is not null)
            {
                json.WriteString("description", c.description);
            }

            // Always present, 0 included, so a script can rely on it to know whether every line arrived.
            json.WriteNumber("unacknowledged", c.unacknowledged);
        });
        if (error is not null)
        {
            try
            {
                _errors.WriteLine($"tether: {error}");
            }
            catch (IOException)
            {
                // Nowhere left to report to; the exit code still says it failed.
            }
        }
    }

    public void Error(string message) => Write("error", message, static (json, message) => json.WriteString("message", message));

    public void Dispose()
    {
        lock (_gate)
        {
            _json.Dispose();
        }
    }

    private void Write<T>(string name, T state, Action<Utf8JsonWriter, T> details)
    {
        lock (_gate)
        {
            if (_outputBroken)
            {
                return;
            }

            _buffer.ResetWrittenCount();
            _json.Reset(_buffer);
            _json.WriteStartObject();
            _json.WriteString("event", name);
            _json.WriteString("ts", _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            details(_json, state);
            _json.WriteEndObject();
            _json.Flush();
            try
            {
                _output.Write(_buffer.WrittenSpan);
                _output.Write("\n"u8);
                _output.Flush();
            }
            catch (IOException)
            {
                // The reader went away (e.g. "| head"). Events arrive on library threads where an exception would
                // only do harm; the command notices the end through stdin or Ctrl-C.
                _outputBroken = true;
            }
        }
    }
}
