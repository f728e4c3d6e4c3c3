using System.Globalization;
using StackExchange.Redis;

namespace Tether.ClusterBench;

/// <summary>
/// Redis's own counters, read with INFO on a connection of the benchmark's own (not the node's): total commands
/// processed and the calls per command (commandstats; commands a script runs count there and in the total).
/// </summary>
internal sealed class RedisStats : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis;
    private readonly IServer _server;

    private RedisStats(ConnectionMultiplexer redis)
    {
        _redis = redis;
        _server = redis.GetServer(redis.GetEndPoints()[0]);
    }

    public static async Task<RedisStats> ConnectAsync(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AllowAdmin = true;
        return new RedisStats(await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false));
    }

    /// <summary>One reading: <c>total_commands_processed</c> and calls per command name.</summary>
    public async Task<Snapshot> ReadAsync()
    {
        var stats = await _server.InfoAsync("stats").ConfigureAwait(false);
        var commands = await _server.InfoAsync("commandstats").ConfigureAwait(false);
        var total = long.Parse(stats.SelectMany(g => g).First(p => p.Key == "total_commands_processed").Value, CultureInfo.InvariantCulture);
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var pair in commands.SelectMany(g => g))
        {
            // cmdstat_evalsha: calls=12,usec=...
            var value = pair.Value.Split(',')[0];
            if (pair.Key.StartsWith("cmdstat_", StringComparison.Ordinal) && value.StartsWith("calls=", StringComparison.Ordinal))
            {
                calls[pair.Key["cmdstat_".Length..]] = long.Parse(value["calls=".Length..], CultureInfo.InvariantCulture);
            }
        }

        return new Snapshot(total, calls);
    }

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync().ConfigureAwait(false);

    /// <summary>The counters at one moment.</summary>
    public sealed record Snapshot(long Total, IReadOnlyDictionary<string, long> Calls)
    {
        /// <summary>Calls per command between <paramref name="before"/> and this, without the ones that did not change.</summary>
        public Dictionary<string, long> CallsSince(Snapshot before) =>
            Calls.Select(p => (p.Key, Delta: p.Value - before.Calls.GetValueOrDefault(p.Key)))
                .Where(p => p.Delta != 0).ToDictionary(p => p.Key, p => p.Delta, StringComparer.Ordinal);
    }
}
