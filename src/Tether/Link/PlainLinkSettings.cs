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
        IdleTimeout = idleTimeout;
        Ping = ping;
        Pong = pong;
        ProbeInterval = probe.IsEmpty ? TimeSpan.Zero : probeInterval;
        EncodedProbe = probe.IsEmpty ? [] : Encode(framing, probe.Span, "probe");
        EncodedPong = pong.IsEmpty ? [] : Encode(framing, pong.Span, "pong message");
    }

    public IFraming Framing { get; }

    public TimeSpan IdleTimeout { get; }

    /// <summary>Inbound silence between probes; zero when the listener sends none.</summary>
    public TimeSpan ProbeInterval { get; }

    public ReadOnlyMemory<byte> EncodedProbe { get; }

    /// <summary>An inbound message equal to this is answered with <see cref="EncodedPong"/> and not delivered (empty: none).</summary>
    public ReadOnlyMemory<byte> Ping { get; }

    /// <summary>An inbound message equal to this answers a probe and is not delivered (empty: none).</summary>
    public ReadOnlyMemory<byte> Pong { get; }

    public ReadOnlyMemory<byte> EncodedPong { get; }

    private static byte[] Encode(IFraming framing, ReadOnlySpan<byte> message, string what)
    {
        var writer = new ArrayBufferWriter<byte>();
        try
        {
            framing.Write(message, writer);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"the {what} cannot be written as a {framing.Name} frame: {ex.Message}", ex);
        }

        return writer.WrittenSpan.ToArray();
    }
}
