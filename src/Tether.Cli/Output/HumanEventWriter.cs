using System.Globalization;
using System.Net;
using Tether.Protocol;
using Tether.Sessions;

namespace Tether.Cli.Output;

/// <summary>
/// Received messages on stdout, one per line (hex, prefixed <c>hex:</c>, when not UTF-8); everything else on stderr,
/// so stdout stays a clean stream of messages.
/// </summary>
internal sealed class HumanEventWriter(TextWriter output, TextWriter errors) : IClientEventSink
{
    public void Connecting(EndPoint? endPoint) => Status(endPoint is null ? "connecting" : $"connecting to {EndPointDisplay.Format(endPoint)}");

    public void Connected(EndPoint? endPoint) => Status(endPoint is null ? "connected" : $"connected to {EndPointDisplay.Format(endPoint)}");

    public void Disconnected(DisconnectInfo info) => Status($"disconnected: {info}");

    public void Reconnecting(int attempt, TimeSpan delay, EndPoint? endPoint, Exception? lastError)
    {
        var target = endPoint is null ? string.Empty : $" to {EndPointDisplay.Format(endPoint)}";
        var cause = lastError is null ? string.Empty : $" (last error: {lastError.Message})";
        Status(string.Create(CultureInfo.InvariantCulture, $"reconnecting{target}: attempt {attempt} in {FormatMs(delay)}{cause}"));
    }

    public void RoundTripTime(TimeSpan roundTripTime) => Status($"rtt {FormatMs(roundTripTime)}");

    public void SessionResumed(SessionId sessionId, ulong serverLastReceived, int resent) =>
        Status(string.Create(CultureInfo.InvariantCulture, $"session {sessionId} resumed: the server had our messages up to #{serverLastReceived}, resending {resent}"));

    public void SessionLost(SessionLostInfo info)
    {
        var serverLost = info.PeerReportedLost is { } lost
            ? string.Create(CultureInfo.InvariantCulture, $"the server reports {lost} lost")
            : "the server does not know how many it lost";
        var detail = info.Description.Length > 0 ? $": {info.Description}" : string.Empty;
        Status(string.Create(
            CultureInfo.InvariantCulture,
            $"session {info.SessionId} lost ({SessionLostReasonText.Format(info.Reason)}): {info.UnacknowledgedSent} sent message(s) unacknowledged, {serverLost}{detail}"));
    }

    public void Message(ReadOnlySpan<byte> message)
    {
        var line = MessageText.IsText(message) ? MessageText.ToText(message) : "hex:" + MessageText.ToHex(message);
        Guard(() => output.WriteLine(line));
    }

    // A failure is said once, as the last line, so that it is what a person reads first.
    public void Closed(string reason, string? description, string? error, int unacknowledged = 0) => Status(error ?? "closed");

    public void Error(string message) => Status(message);

    private static string FormatMs(TimeSpan value) =>
        value.TotalMilliseconds.ToString(value.TotalMilliseconds < 10 ? "0.###" : "0", CultureInfo.InvariantCulture) + " ms";

    private void Status(string line) => Guard(() => errors.WriteLine($"tether: {line}"));

    private static void Guard(Action write)
    {
        try
        {
            write();
        }
        catch (IOException)
        {
            // A closed pipe must not throw on a library thread; the command ends through stdin or Ctrl-C.
        }
    }
}
