using Microsoft.Extensions.Time.Testing;
using Tether.Server;

namespace Tether.Tests.Support;

/// <summary>
/// Moves fake time for a server. The timing wheel visits its entries on the calling thread, so every deadline due by
/// the new time (pings, heartbeat timeouts, acks, session expiry) has been acted on when this returns: nothing to
/// wait for in real time.
/// </summary>
internal static class FakeClock
{
    public static void AdvanceWithWheel(this FakeTimeProvider time, TetherServer server, TimeSpan total, TimeSpan step)
    {
        for (var elapsed = TimeSpan.Zero; elapsed < total; elapsed += step)
        {
            time.Advance(step);
            server.Wheel.Advance();
        }
    }
}
