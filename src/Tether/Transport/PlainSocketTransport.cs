using System.Net.Sockets;
using Tether.Diagnostics;

namespace Tether.Transport;

/// <summary>
/// What the two socket transports share: sends that write what the kernel takes at once and wait asynchronously only
/// for the rest, and what a <see cref="Tls.TlsTransport"/> needs from the socket under it (raw reads, a peek).
/// </summary>
internal abstract class PlainSocketTransport : SocketTransport
{
    protected PlainSocketTransport(PeerAddress remote, int maxReceiveBuffer, TetherMetrics metrics)
        : base(remote, maxReceiveBuffer, metrics)
    {
    }

    /// <summary>
    /// For a TLS transport above: reads straight from the socket into <paramref name="buffer"/>, never waiting
    /// (<see cref="SocketError.WouldBlock"/> arms the next signal, as for <see cref="SocketTransport.TryReceive"/>).
    /// </summary>
    internal SocketError ReceiveRaw(Memory<byte> buffer, out int read) => ReceiveCore(buffer, out read);

    /// <summary>
    /// For a TLS transport above: true when a receive would return at once (bytes or the end of the stream are there),
    /// without consuming anything (or when it would fail, which the receive then reports); false arms the next signal.
    /// Never throws: it runs inside readiness callbacks.
    /// </summary>
    internal abstract bool PeekReady();

    /// <summary>For a TLS transport above: writes all of <paramref name="data"/> to the socket.</summary>
    internal ValueTask SendRawAsync(ReadOnlyMemory<byte> data) => SendCoreAsync(data);

    /// <summary>For a TLS transport above: shuts the socket down.</summary>
    internal void ShutdownRaw(SocketShutdown how) => ShutdownCore(how);

    /// <summary>Writes what the kernel takes right now without waiting; <see cref="SocketError.WouldBlock"/> when it takes nothing.</summary>
    protected abstract SocketError TrySend(ReadOnlySpan<byte> data, out int written);

    protected sealed override ValueTask SendCoreAsync(ReadOnlyMemory<byte> data)
    {
        var span = data.Span;
        var sent = 0;
        while (sent < span.Length)
        {
            var error = TrySend(span[sent..], out var written);
            if (error == SocketError.WouldBlock)
            {
                return SendRestAsync(data[sent..]);
            }

            if (error != SocketError.Success)
            {
                throw new SocketException((int)error);
            }

            sent += written;
        }

        return ValueTask.CompletedTask;
    }

    private async ValueTask SendRestAsync(ReadOnlyMemory<byte> rest)
    {
        // The kernel's send buffer is full: wait for room without holding a thread.
        while (!rest.IsEmpty)
        {
            var sent = await Socket.SendAsync(rest, SocketFlags.None).ConfigureAwait(false);
            rest = rest[sent..];
        }
    }
}
