using System.Net;
using Microsoft.Extensions.Logging;

namespace Tether.FaultProxy;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Fault proxy listening on {EndPoint}, forwarding to {Target}")]
    public static partial void Started(ILogger logger, IPEndPoint endPoint, EndPoint target);

    [LoggerMessage(2, LogLevel.Information, "Fault proxy on {EndPoint} stopped")]
    public static partial void Stopped(ILogger logger, IPEndPoint endPoint);

    [LoggerMessage(3, LogLevel.Information, "Fault proxy target changed to {Target}")]
    public static partial void TargetChanged(ILogger logger, EndPoint target);

    [LoggerMessage(4, LogLevel.Information, "Fault proxy mode {Mode} for {Direction} (delay {Delay}, slice {SliceBytes} bytes, pause {SlicePause})")]
    public static partial void FaultChanged(ILogger logger, FaultDirection direction, FaultMode mode, TimeSpan delay, int sliceBytes, TimeSpan slicePause);

    [LoggerMessage(5, LogLevel.Information, "Fault proxy refusing new connections: {Refusing}")]
    public static partial void RefusingChanged(ILogger logger, bool refusing);

    [LoggerMessage(6, LogLevel.Information, "Fault proxy reset {Count} connections")]
    public static partial void ResetAll(ILogger logger, int count);

    [LoggerMessage(7, LogLevel.Warning, "Fault proxy failed to accept a connection")]
    public static partial void AcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Debug, "Fault proxy refused a connection from {Remote}")]
    public static partial void Refused(ILogger logger, EndPoint? remote);

    [LoggerMessage(9, LogLevel.Debug, "Fault proxy connection {Id} accepted from {Remote}")]
    public static partial void Accepted(ILogger logger, long id, EndPoint? remote);

    [LoggerMessage(10, LogLevel.Debug, "Fault proxy connection {Id} connected to {Target}")]
    public static partial void Connected(ILogger logger, long id, EndPoint target);

    [LoggerMessage(11, LogLevel.Warning, "Fault proxy connection {Id} could not connect to {Target}; resetting the client")]
    public static partial void ConnectFailed(ILogger logger, long id, EndPoint target, Exception exception);

    [LoggerMessage(12, LogLevel.Debug, "Fault proxy connection {Id}: {Direction} end of stream forwarded")]
    public static partial void FinForwarded(ILogger logger, long id, FaultDirection direction);

    [LoggerMessage(13, LogLevel.Debug, "Fault proxy connection {Id}: {Direction} reset, resetting both sides")]
    public static partial void ResetForwarded(ILogger logger, long id, FaultDirection direction);

    [LoggerMessage(14, LogLevel.Debug, "Fault proxy connection {Id} closed")]
    public static partial void Closed(ILogger logger, long id);

    [LoggerMessage(15, LogLevel.Warning, "Fault proxy connection {Id}: unexpected failure, resetting both sides")]
    public static partial void PumpFailed(ILogger logger, long id, Exception exception);
}
