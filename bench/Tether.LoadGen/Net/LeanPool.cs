namespace Tether.LoadGen.Net;

/// <summary>Opens many lean connections with bounded concurrency (<c>--connect-concurrency</c>).</summary>
internal static class LeanPool
{
    /// <summary>
    /// Opens <paramref name="count"/> connections made by <paramref name="create"/>, at most
    /// <paramref name="concurrency"/> at a time; each open one starts receiving and joins the heartbeat wheel. Returns
    /// the open ones (failed ones are counted in the stats). Stops early, without error, when cancelled.
    /// </summary>
    public static async Task<List<LeanConnection>> OpenAsync(
        int count, int concurrency, LeanContext context, Func<int, LeanConnection> create, string label, CancellationToken cancellationToken)
    {
        var opened = new LeanConnection?[count];
        var stats = context.Stats;
        var options = new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken };
        try
        {
            await Parallel.ForAsync(0, count, options, async (index, token) =>
            {
                var connection = create(index);
                var failure = await connection.OpenAsync(token).ConfigureAwait(false);
                if (connection.IsOpen)
                {
                    opened[index] = connection;
                    stats.OnConnected();
                    connection.StartReceiving();
                    context.Wheel.Add(connection);
                }
                else if (failure is not null)
                {
                    stats.OnFailed(failure);
                }

                Output.Progress($"{label}: {stats.Connected}/{count} connected, {stats.Failed} failed");
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        return [.. opened.OfType<LeanConnection>()];
    }

    /// <summary>Closes every connection deliberately (goodbye frame, then the socket).</summary>
    public static void CloseAll(IEnumerable<LeanConnection> connections)
    {
        foreach (var connection in connections)
        {
            connection.Close();
        }
    }

    /// <summary>Waits until <paramref name="deadline"/> (a <see cref="System.Diagnostics.Stopwatch"/> timestamp) or cancellation, calling <paramref name="tick"/> every second.</summary>
    public static async Task HoldAsync(long deadline, Action tick, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var left = System.Diagnostics.Stopwatch.GetElapsedTime(System.Diagnostics.Stopwatch.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero)
            {
                return;
            }

            try
            {
                await Task.Delay(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            tick();
        }
    }
}
