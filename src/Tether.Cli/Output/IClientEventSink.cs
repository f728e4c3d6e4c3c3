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

    /// <summary>
    /// The client is closed for good. With <paramref name="error"/> the command failed: the error always reaches stderr
    /// as one line, whatever the output format.
    /// </summary>
    void Closed(string reason, string? description, string? error);

    /// <summary>A problem the command survives, e.g. a message that could not be sent.</summary>
    void Error(string message);
}
