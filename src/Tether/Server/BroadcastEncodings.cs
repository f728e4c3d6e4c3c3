using Tether.Framing;
using Tether.Transport;

namespace Tether.Server;

/// <summary>
/// One broadcast's message as each plain listener frames it, encoded the first time a connection of that listener
/// needs it and shared by all of them; the pooled buffers go back when the broadcast ends.
/// </summary>
internal sealed class BroadcastEncodings : IDisposable
{
    private readonly OutboundBuffer?[] _frames;
    private readonly bool[] _unframeable;

    public BroadcastEncodings(int listeners)
    {
        _frames = new OutboundBuffer?[listeners];
        _unframeable = new bool[listeners];
    }

    /// <summary>The message framed for listener <paramref name="index"/>; false when that framing cannot carry it.</summary>
    public bool TryGet(int index, IFraming framing, ReadOnlySpan<byte> message, out ReadOnlySpan<byte> frame)
    {
        frame = default;
        if (_unframeable[index])
        {
            return false;
        }

        if (_frames[index] is not { } encoded)
        {
            encoded = new OutboundBuffer();
            try
            {
                framing.Write(message, encoded);
            }
            catch (ArgumentException)
            {
                encoded.Release();
                _unframeable[index] = true;
                return false;
            }

            _frames[index] = encoded;
        }

        frame = encoded.WrittenSpan;
        return true;
    }

    public void Dispose()
    {
        foreach (var frame in _frames)
        {
            frame?.Release();
        }
    }
}
