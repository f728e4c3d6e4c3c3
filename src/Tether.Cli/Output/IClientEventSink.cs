using System.Net;
using Tether.Protocol;
using Tether.Sessions;

namespace Tether.Cli.Output;

/// <summary>
/// Where <c>tether connect</c> reports what happens: people get text on stderr (<see cref="HumanEventWriter"/>),
/// scripts get JSON lines on stdout (<see cref="JsonEventWriter"/>). Implementations are called from several threads.
/// </summary>
internal interface IClientEventSink
{
    void Connecting(EndPoint? endPoint);

    void Connected(EndPoint? endPoint);

    void Disconnected(DisconnectInfo info);

    void Reconnecting(int attempt, TimeSpan delay, EndPoint? endPoint, Exception? lastError);

    void RoundTripTime(TimeSpan roundTripTime);

    /// <summary>A reconnect resumed the session: nothing was lost, and <paramref name="resent"/> messages the server lacked go out again.</summary>
    void SessionResumed(SessionId sessionId, ulong serverLastReceived, int resent);

    /// <summary>The session could not be resumed: messages in either direction may be missing; the client goes on in a new one.</summary>
    void SessionLost(SessionLostInfo info);

    void Message(ReadOnlySpan<byte> message);

    /// <summary>
    /// The client is closed for good. With <paramref name="error"/> the command failed: the error always reaches stderr
    /// as one line, whatever the output format. <paramref name="unacknowledged"/> counts the lines sent that the server
    /// never acknowledged: they may not have arrived.
    /// </summary>
    void Closed(string reason, string? description, string? error, int unacknowledged = 0);

    /// <summary>A problem the command survives, e.g. a message that could not be sent.</summary>
    void Error(string message);
}
