namespace Tether.Diagnostics;

/// <summary>Waits for what an application's handler returned, so that its failure is reported, never thrown at the caller.</summary>
internal static class HandlerGuard
{
    /// <summary>Completes when <paramref name="handled"/> does; an exception from it goes to <paramref name="failed"/>.</summary>
    public static async ValueTask ObserveAsync<TState>(ValueTask handled, TState state, Action<TState, Exception> failed)
    {
        try
        {
            await handled.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The application's handler may throw anything; the connection goes on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failed(state, ex);
        }
    }
}
