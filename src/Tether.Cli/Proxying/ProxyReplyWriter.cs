using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Tether.Cli.Output;
using Tether.FaultProxy;

namespace Tether.Cli.Proxying;

/// <summary>What a running proxy reports: counters plus the fault last applied to each direction.</summary>
internal sealed record ProxyStatus(FaultMode Mode, FaultInstruction Up, FaultInstruction Down, bool Refusing, int Active, long Accepted, long BytesForwarded);

/// <summary>
/// The replies of <c>tether proxy</c> on stdout, one line each: text (<c>ok pass</c>, <c>error: ...</c>) or, with
/// <c>--json</c>, one JSON object per line with <c>event</c> and <c>ts</c> like <c>tether connect --json</c>. Each line
/// is flushed at once so a script waiting for the acknowledgement sees it.
/// </summary>
internal sealed class ProxyReplyWriter
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly TextWriter _output;
    private readonly bool _json;
    private readonly TimeProvider _time;
    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private bool _outputBroken;

    public ProxyReplyWriter(TextWriter output, bool json, TimeProvider? time = null)
    {
        _output = output;
        _json = json;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>JSON only: the start, so a script reading stdout learns the port without a port file.</summary>
    public void Listening(IPEndPoint endPoint, EndPoint target)
    {
        if (_json)
        {
            WriteJson("listening", (endPoint, target), static (json, s) =>
            {
                json.WriteString("endpoint", s.endPoint.ToString());
                json.WriteString("target", EndPointDisplay.Format(s.target));
            });
        }
    }

    public void Fault(FaultInstruction fault)
    {
        if (!_json)
        {
            WriteLine($"ok {fault}");
            return;
        }

        WriteJson("fault", fault, static (json, f) => WriteFault(json, f, withDirection: true));
    }

    public void Reset(int connections)
    {
        if (_json)
        {
            WriteJson("reset", connections, static (json, n) => json.WriteNumber("connections", n));
        }
        else
        {
            WriteLine($"ok reset {connections.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    public void Refuse(bool refuse)
    {
        if (_json)
        {
            WriteJson("refuse", refuse, static (json, r) => json.WriteBoolean("refusing", r));
        }
        else
        {
            WriteLine(refuse ? "ok refuse on" : "ok refuse off");
        }
    }

    public void Status(ProxyStatus status)
    {
        if (!_json)
        {
            WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"ok status mode={ProxyInstructionParser.ModeName(status.Mode)} up={Compact(status.Up)} down={Compact(status.Down)} "
                + $"refuse={(status.Refusing ? "on" : "off")} active={status.Active} accepted={status.Accepted} bytes={status.BytesForwarded}"));
            return;
        }

        WriteJson("status", status, static (json, s) =>
        {
            json.WriteString("mode", ProxyInstructionParser.ModeName(s.Mode));
            json.WriteStartObject("up");
            WriteFault(json, s.Up, withDirection: false);
            json.WriteEndObject();
            json.WriteStartObject("down");
            WriteFault(json, s.Down, withDirection: false);
            json.WriteEndObject();
            json.WriteBoolean("refusing", s.Refusing);
            json.WriteNumber("active", s.Active);
            json.WriteNumber("accepted", s.Accepted);
            json.WriteNumber("bytesForwarded", s.BytesForwarded);
        });
    }

    public void Help()
    {
        if (_json)
        {
            WriteJson("help", 0, static (json, _) =>
            {
                json.WriteStartArray("commands");
                foreach (var (syntax, _) in ProxyInstructionParser.Commands)
                {
                    json.WriteStringValue(syntax);
                }

                json.WriteEndArray();
            });
            return;
        }

        WriteLine(ProxyInstructionParser.FormatCommands());
    }

    public void Error(string message)
    {
        if (_json)
        {
            WriteJson("error", message, static (json, m) => json.WriteString("message", m));
        }
        else
        {
            WriteLine($"error: {message}");
        }
    }

    /// <summary><c>delay:200ms</c>, <c>slice:1:10ms</c>: one word per direction in the status line.</summary>
    private static string Compact(FaultInstruction fault) => fault.Fault.Replace(' ', ':');

    private static void WriteFault(Utf8JsonWriter json, FaultInstruction fault, bool withDirection)
    {
        json.WriteString("mode", ProxyInstructionParser.ModeName(fault.Mode));
        if (withDirection)
        {
            json.WriteString("direction", ProxyInstructionParser.DirectionName(fault.Direction));
        }

        switch (fault.Mode)
        {
            case FaultMode.Delay:
                json.WriteNumber("delayMs", Math.Round(fault.Delay.TotalMilliseconds, 3));
                break;
            case FaultMode.Slice:
                json.WriteNumber("sliceBytes", fault.SliceBytes);
                json.WriteNumber("pauseMs", Math.Round(fault.Pause.TotalMilliseconds, 3));
                break;
        }
    }

    private void WriteJson<T>(string name, T state, Action<Utf8JsonWriter, T> details)
    {
        _buffer.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(_buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("event", name);
            json.WriteString("ts", _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            details(json, state);
            json.WriteEndObject();
        }

        WriteLine(Encoding.UTF8.GetString(_buffer.WrittenSpan));
    }

    private void WriteLine(string line)
    {
        if (_outputBroken)
        {
            return;
        }

        try
        {
            _output.WriteLine(line);
            _output.Flush();
        }
        catch (IOException)
        {
            // The reader went away (e.g. "| head"); the proxy keeps working and stdin still ends it.
            _outputBroken = true;
        }
    }
}
