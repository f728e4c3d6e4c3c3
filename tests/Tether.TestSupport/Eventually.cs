namespace Tether.TestSupport;

/// <summary>
/// The one polling helper of the test projects: for conditions that real sockets or processes make true and that
/// raise no event to await. The bound (20 s by default) guards against a hang and never measures speed; a failure
/// says what was awaited.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultBound = TimeSpan.FromSeconds(20);

    public static async Task WaitUntilAsync(Func<bool> condition, string what = "the condition", TimeSpan? bound = null)
    {
        var limit = bound ?? DefaultBound;
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} did not hold within {limit.TotalSeconds} s");
            }

            await Task.Delay(5);
        }
    }
}
