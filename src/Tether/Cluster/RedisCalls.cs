using StackExchange.Redis;

namespace Tether.Cluster;

/// <summary>
/// Runs the Redis calls a caller waits for with the fail-fast contract: not connected, no answer within
/// <see cref="ScaleOutOptions.OperationTimeout"/> or a Redis error all become one <see cref="TetherException"/>
/// ("scale-out: Redis unavailable ..."), logged and counted; nothing is queued for later.
/// </summary>
internal sealed class RedisCalls(ClusterNode node, ClusterLog log, ClusterMetrics metrics)
{
    public bool IsConnected => node.Redis.IsConnected;

    /// <summary>Throws the fail-fast error at once when the multiplexer has no connection.</summary>
    public void EnsureConnected(string operation)
    {
        if (!node.Redis.IsConnected)
        {
            throw Unavailable(operation, "not connected");
        }
    }

    /// <summary>Starts <paramref name="start"/> (a synchronous Redis error counts as unavailable too) and waits for it within the operation timeout.</summary>
    public async Task<T> RunAsync<T>(string operation, Func<Task<T>> start, CancellationToken cancellationToken)
    {
        Task<T> call;
        try
        {
            call = start();
        }
        catch (RedisException ex)
        {
            throw Unavailable(operation, ex.Message);
        }

        try
        {
            return await call.WaitAsync(node.Options.OperationTimeout, node.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Observe(call);
            throw Unavailable(operation, $"no answer within {node.Options.OperationTimeout.TotalMilliseconds:0} ms");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Observe(call);
            throw;
        }
        catch (RedisException ex)
        {
            throw Unavailable(operation, ex.Message);
        }
    }

    /// <summary>As the other overload, for a call without a result.</summary>
    public async Task RunAsync(string operation, Func<Task> start, CancellationToken cancellationToken)
    {
        Task call;
        try
        {
            call = start();
        }
        catch (RedisException ex)
        {
            throw Unavailable(operation, ex.Message);
        }

        try
        {
            await call.WaitAsync(node.Options.OperationTimeout, node.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Observe(call);
            throw Unavailable(operation, $"no answer within {node.Options.OperationTimeout.TotalMilliseconds:0} ms");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Observe(call);
            throw;
        }
        catch (RedisException ex)
        {
            throw Unavailable(operation, ex.Message);
        }
    }

    /// <summary>Counts, logs and builds the one-line error of an operation Redis could not serve.</summary>
    public TetherException Unavailable(string operation, string reason)
    {
        metrics.RedisUnavailable.Add(1, ClusterMetrics.Tag("operation", operation));
        log.Unavailable(operation, reason);
        return new TetherException($"scale-out: Redis unavailable ({operation}: {reason})");
    }

    /// <summary>A call given up on may still fail later: its error is seen here rather than left unobserved.</summary>
    public static void Observe(Task call) =>
        call.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
