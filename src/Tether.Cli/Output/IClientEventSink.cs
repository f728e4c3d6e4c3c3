using System.Net;

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

    void Message(ReadOnlySpan<byte> message);

    void Closed(string reason, string? description);

    /// <summary>A problem; <paramref name="fatal"/> ones end the command and always reach stderr.</summary>
    void Error(string message, bool fatal);
}
