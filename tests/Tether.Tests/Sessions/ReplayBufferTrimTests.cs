using Tether.Sessions;

namespace Tether.Tests.Sessions;

/// <summary>An emptied replay buffer keeps its arrays for the next message, and gives them back once it stays quiet.</summary>
public class ReplayBufferTrimTests
{
    [Fact]
    public void An_emptied_buffer_keeps_its_arrays_until_two_quiet_trims()
    {
        var buffer = new ReplayBuffer();
        Assert.False(buffer.HoldsArrays);

        buffer.Append("one"u8);
        buffer.Acknowledge(1);
        Assert.True(buffer.HoldsArrays);

        // Something was appended since the last look: keep the arrays for the next burst.
        buffer.TrimIfUnused();
        Assert.True(buffer.HoldsArrays);

        buffer.TrimIfUnused();
        Assert.False(buffer.HoldsArrays);
    }

    [Fact]
    public void A_buffer_holding_messages_is_never_trimmed_and_reuse_after_emptying_keeps_order()
    {
        var buffer = new ReplayBuffer();
        buffer.Append("a"u8);
        buffer.Append("bb"u8);
        buffer.TrimIfUnused();
        buffer.TrimIfUnused();
        Assert.True(buffer.HoldsArrays);
        Assert.Equal(2, buffer.Count);

        buffer.Acknowledge(2);
        Assert.Equal(3UL, buffer.Append("ccc"u8));
        var held = new List<(ulong, string)>();
        foreach (var entry in buffer)
        {
            held.Add((entry.Sequence, System.Text.Encoding.UTF8.GetString(entry.First) + System.Text.Encoding.UTF8.GetString(entry.Second)));
        }

        Assert.Equal([(3UL, "ccc")], held);
        Assert.Equal(3, buffer.Bytes);
    }

    [Fact]
    public void ReleaseIfEmpty_gives_the_arrays_back_at_once_but_only_when_nothing_is_held()
    {
        var buffer = new ReplayBuffer();
        buffer.Append("a"u8);
        buffer.ReleaseIfEmpty();
        Assert.True(buffer.HoldsArrays);

        buffer.Acknowledge(1);
        buffer.ReleaseIfEmpty();
        Assert.False(buffer.HoldsArrays);
        Assert.Equal(2UL, buffer.Append("b"u8));
    }
}
