namespace Tether.Server;

/// <summary>
/// One connection's two token buckets (frames and bytes), kept in 16 bytes inside the connection: both refill from one
/// timestamp, and a whole received batch is charged at once, so the check costs one clock read per batch, not per frame.
/// </summary>
internal struct InboundBudget
{
    private long _refilledAt;
    // Floats keep the fractions of a token that frequent small refills add (an int would round them away and charge a
    // steady peer more than its rate), in the same 16 bytes.
    private float _frames;
    private float _bytes;

    public InboundBudget(RateLimitOptions limits, long now)
    {
        _refilledAt = now;
        _frames = limits.MessageCapacity;
        _bytes = limits.ByteCapacity;
    }

    /// <summary>Charges a batch; returns which limit it went over (<c>message</c> or <c>byte</c>), or null.</summary>
    public string? Charge(RateLimitOptions limits, long now, long frequency, int frames, int bytes)
    {
        var seconds = (now - _refilledAt) / (double)frequency;
        _refilledAt = now;
        if (limits.MessagesPerSecond > 0)
        {
            _frames = Refill(_frames, seconds, limits.MessagesPerSecond, limits.MessageCapacity) - frames;
            if (_frames < 0)
            {
                return "message";
            }
        }

        if (limits.BytesPerSecond > 0)
        {
            _bytes = Refill(_bytes, seconds, limits.BytesPerSecond, limits.ByteCapacity) - bytes;
            if (_bytes < 0)
            {
                return "byte";
            }
        }

        return null;
    }

    private static float Refill(float tokens, double seconds, double rate, int capacity) =>
        (float)Math.Min(capacity, tokens + (seconds * rate));
}
