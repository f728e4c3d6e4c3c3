using System.Buffers;
using Tether.Framing;

namespace Tether.Link;

/// <summary>
/// A plain listener's settings as its connections use them, resolved once when the server starts: the framing, the
/// idle timeout and probe interval, and the probe and pong already encoded through the framing, so that neither a
/// probe nor a keepalive answer encodes anything per connection.
/// </summary>
internal sealed class PlainLinkSettings
{
    public PlainLinkSettings(IFraming framing, TimeSpan idleTimeout, TimeSpan probeInterval, ReadOnlyMemory<byte> probe, ReadOnlyMemory<byte> ping, ReadOnlyMemory<byte> pong)
    {
        Framing = framing;
        FramingIsBuiltIn = framing.GetType() == typeof(LineFraming) || framing.GetType() == typeof(LengthPrefixedFraming) || framing.GetType() == typeof(RawFraming);
        IdleTimeout = idleTimeout;
        Ping = ping;
        Pong = pong;
        ProbeInterval = probe.IsEmpty ? TimeSpan.Zero : probeInterval;
        EncodedProbe = probe.IsEmpty ? [] : Encode(framing, probe.Span);
        EncodedPong = pong.IsEmpty ? [] : Encode(framing, pong.Span);
    }

    public IFraming Framing { get; }

    /// <summary>
    /// True for Tether's own framings, which may cut messages on the readiness engine's thread (to answer a keepalive in
    /// place); an application's framing only ever runs on the thread pool.
    /// </summary>
    public bool FramingIsBuiltIn { get; }

    public TimeSpan IdleTimeout { get; }

    /// <summary>Inbound silence between probes; zero when the listener sends none.</summary>
    public TimeSpan ProbeInterval { get; }

    public ReadOnlyMemory<byte> EncodedProbe { get; }

    /// <summary>An inbound message equal to this is answered with <see cref="EncodedPong"/> and not delivered (empty: none).</summary>
    public ReadOnlyMemory<byte> Ping { get; }

    /// <summary>An inbound message equal to this answers a probe and is not delivered (empty: none).</summary>
    public ReadOnlyMemory<byte> Pong { get; }

    public ReadOnlyMemory<byte> EncodedPong { get; }

    /// <summary>Frames a keepalive message once; <c>ListenerOptions.Validate</c> has already refused one that cannot be framed.</summary>
    private static byte[] Encode(IFraming framing, ReadOnlySpan<byte> message)
    {
        var writer = new ArrayBufferWriter<byte>(message.Length + 16);
        framing.Write(message, writer);
        return writer.WrittenSpan.ToArray();
    }
}
