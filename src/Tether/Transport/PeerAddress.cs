using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Tether.Transport;

/// <summary>
/// The remote end of a connection, kept small: an IPv4 peer (nearly every peer, and every one on loopback) is 48 bits
/// in a long, because an <see cref="IPEndPoint"/> with its <see cref="IPAddress"/> costs 72 bytes for every connection
/// held for hours. Other endpoints are kept as they are. <see cref="ToEndPoint"/> builds the object when something
/// asks (a log line, the application).
/// </summary>
internal readonly struct PeerAddress
{
    private readonly long _ipv4;
    private readonly EndPoint? _other;

    private PeerAddress(long ipv4, EndPoint? other)
    {
        _ipv4 = ipv4;
        _other = other;
    }

    public static PeerAddress From(EndPoint? endPoint)
    {
        if (endPoint is IPEndPoint { Address.AddressFamily: AddressFamily.InterNetwork } ip)
        {
            Span<byte> bytes = stackalloc byte[4];
            ip.Address.TryWriteBytes(bytes, out _);
            return new PeerAddress(((long)BinaryPrimitives.ReadUInt32BigEndian(bytes) << 16) | (uint)ip.Port, null);
        }

        return new PeerAddress(-1, endPoint);
    }

    public EndPoint? ToEndPoint()
    {
        if (_ipv4 < 0 || (_ipv4 == 0 && _other is null))
        {
            return _other;
        }

        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)(_ipv4 >> 16));
        return new IPEndPoint(new IPAddress(bytes), (int)(_ipv4 & 0xFFFF));
    }
}
