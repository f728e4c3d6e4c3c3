namespace Tether.Tests.Support;

/// <summary>
/// The one polling helper: for conditions that real sockets make true and that raise no event to await. Bounded by
/// <see cref="Timeouts.Event"/>, which guards against a hang and never measures speed; fails with what was awaited.
/// </summary>
internal static class Eventually
{
    public static async Task WaitUntilAsync(Func<bool> condition, string what = "the condition")
    {
        var deadline = DateTime.UtcNow + Timeouts.Event;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} did not hold within {Timeouts.Event.TotalSeconds} s");
            }

            await Task.Delay(5);
        }
    }
}
