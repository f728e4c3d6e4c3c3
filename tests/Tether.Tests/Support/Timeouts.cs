namespace Tether.Tests.Support;

/// <summary>Generous bounds for awaiting events: they guard against hangs, they never measure speed.</summary>
internal static class Timeouts
{
    public static readonly TimeSpan Event = TimeSpan.FromSeconds(20);
}
