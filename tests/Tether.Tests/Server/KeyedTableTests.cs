using Tether.Server;

namespace Tether.Tests.Server;

/// <summary>The registries' hash table: replace and remove semantics, growing and shrinking, and readers during writes.</summary>
public sealed class KeyedTableTests
{
    [Fact]
    public void Set_replaces_the_entry_with_the_same_key_and_remove_only_removes_the_entry_it_is_given()
    {
        var table = new KeyedTable<long, Item, ItemKey>();
        var first = new Item(7);
        var second = new Item(7);

        Assert.Null(table.Set(first));
        Assert.Same(first, table.Set(second));
        Assert.Equal(1, table.Count);

        Assert.False(table.Remove(first));
        Assert.True(table.TryGet(7, out var found));
        Assert.Same(second, found);

        Assert.True(table.Remove(second));
        Assert.False(table.Remove(second));
        Assert.False(table.TryGet(7, out _));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void It_grows_keeps_every_entry_and_shrinks_again_when_most_are_gone()
    {
        var table = new KeyedTable<long, Item, ItemKey>();
        // Random keys, so that probe chains form (sequential ids spread almost without collisions).
        var random = new Random(5);
        var items = Enumerable.Range(0, 50_000).Select(_ => random.NextInt64(2, long.MaxValue)).Distinct().Select(key => new Item(key)).ToList();
        foreach (var item in items)
        {
            table.Set(item);
        }

        var peakCapacity = table.Capacity;
        Assert.InRange(peakCapacity, 100_000, 262_144);
        Assert.All(items, item => Assert.True(table.TryGet(item.Key, out var found) && ReferenceEquals(found, item)));
        Assert.False(table.TryGet(1, out _));

        // Every other entry out, without a rebuild: the probe chains must still reach the ones behind them.
        foreach (var item in items.Where((_, i) => i % 2 == 1))
        {
            Assert.True(table.Remove(item));
        }

        Assert.Equal(peakCapacity, table.Capacity);
        Assert.All(items, (item, i) => Assert.Equal(i % 2 == 0, table.TryGet(item.Key, out _)));

        foreach (var item in items.Skip(1_000).Where((_, i) => i % 2 == 0))
        {
            Assert.True(table.Remove(item));
        }

        // From well over 100,000 slots down to at most the size below which a table is no longer shrunk (16,384).
        Assert.Equal(500, table.Count);
        Assert.True(peakCapacity >= 131_072, $"peak capacity {peakCapacity}");
        Assert.InRange(table.Capacity, 16, 16_384);
        Assert.True(table.Shrinks >= 1);
        Assert.Equal(items.Take(1_000).Where((_, i) => i % 2 == 0).OrderBy(i => i.Key), table.OrderBy(i => i.Key));
    }

    [Fact]
    public void Removal_markers_are_reused_and_cleared_so_a_churning_table_stays_small()
    {
        var table = new KeyedTable<long, Item, ItemKey>();
        for (var i = 0L; i < 200_000; i++)
        {
            var item = new Item(i);
            table.Set(item);
            Assert.True(table.Remove(item));
        }

        Assert.Equal(0, table.Count);
        Assert.Equal(16, table.Capacity);
        Assert.Empty(table);
    }

    [Fact]
    public async Task Readers_without_a_lock_find_every_entry_that_stays_while_others_come_and_go()
    {
        var table = new KeyedTable<long, Item, ItemKey>();
        var stable = Enumerable.Range(0, 2_000).Select(i => new Item(i)).ToList();
        foreach (var item in stable)
        {
            table.Set(item);
        }

        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            // Grows the table past several rebuilds and shrinks it again, twice.
            for (var round = 0; round < 2; round++)
            {
                var transient = Enumerable.Range(0, 30_000).Select(i => new Item(1_000_000L + i)).ToList();
                transient.ForEach(item => table.Set(item));
                transient.ForEach(item => table.Remove(item));
            }

            stop.Cancel();
        });
        var misses = 0;
        var reads = 0;
        while (!stop.IsCancellationRequested)
        {
            foreach (var item in stable)
            {
                reads++;
                if (!table.TryGet(item.Key, out var found) || !ReferenceEquals(found, item))
                {
                    misses++;
                }
            }
        }

        await writer;
        Assert.Equal(0, misses);
        Assert.True(reads > 0);
        Assert.Equal(stable.Count, table.Count);
        var enumerated = 0;
        foreach (var unused in table)
        {
            enumerated++;
        }

        Assert.Equal(stable.Count, enumerated);
    }

    private sealed record Item(long Key);

    private readonly struct ItemKey : IKeyOf<long, Item>
    {
        public long KeyOf(Item value) => value.Key;
    }
}
