using Tether.Cli.Soak;

namespace Tether.Cli.Tests.Soak;

public class StreamCheckerTests
{
    [Fact]
    public void An_in_order_stream_is_all_delivered()
    {
        var checker = Exchange(sent: 5, received: [1, 2, 3, 4, 5]);
        Assert.Equal(new StreamCounts(5, 5, 0, 0, 0, 0), checker.Finish());
    }

    [Fact]
    public void A_counter_seen_twice_is_a_duplicate()
    {
        var checker = Exchange(sent: 3, received: [1, 2, 2, 3, 1]);
        Assert.Equal(new StreamCounts(3, 3, 0, 2, 0, 0), checker.Finish());
    }

    [Fact]
    public void A_gap_without_a_reported_reset_is_lost()
    {
        var checker = Exchange(sent: 6, received: [1, 2, 5, 6]);
        var counts = checker.Finish();
        Assert.Equal(2, counts.Lost);
        Assert.Equal(0, counts.ReportedLost);
        Assert.True(counts.HasFailures);
    }

    [Fact]
    public void A_message_arriving_after_a_later_one_is_reordered_not_lost()
    {
        var checker = Exchange(sent: 5, received: [1, 3, 5, 2, 4]);
        Assert.Equal(new StreamCounts(5, 5, 0, 0, 2, 0), checker.Finish());
    }

    [Fact]
    public void A_late_arrival_seen_twice_is_then_a_duplicate()
    {
        var checker = Exchange(sent: 3, received: [1, 3, 2, 2]);
        Assert.Equal(new StreamCounts(3, 3, 0, 1, 1, 0), checker.Finish());
    }

    [Fact]
    public void A_reset_of_unknown_size_covers_the_next_gap_and_the_stream_resynchronises()
    {
        var checker = Exchange(sent: 10, received: [1, 2]);
        checker.ResetReported(null);
        Assert.True(checker.ResetPending);
        foreach (var counter in new long[] { 7, 8, 9, 10 })
        {
            checker.Received(counter);
        }

        Assert.False(checker.ResetPending);
        var counts = checker.Finish();
        Assert.Equal(new StreamCounts(10, 6, 0, 0, 0, 4), counts);
        Assert.False(counts.HasFailures);
    }

    [Fact]
    public void A_reset_covers_no_more_than_it_reported()
    {
        var checker = Exchange(sent: 10, received: [1, 2]);
        checker.ResetReported(2);
        checker.Received(6);
        var counts = checker.Finish();
        Assert.Equal(2, counts.ReportedLost);
        Assert.Equal(1 + 4, counts.Lost);
    }

    [Fact]
    public void Several_resets_before_the_next_message_add_up()
    {
        var checker = Exchange(sent: 6, received: [1]);
        checker.ResetReported(2);
        checker.ResetReported(3);
        checker.Received(6);
        Assert.Equal(new StreamCounts(6, 2, 0, 0, 0, 4), checker.Finish());
    }

    [Fact]
    public void A_reset_explains_only_the_gap_before_the_next_delivery()
    {
        var checker = Exchange(sent: 6, received: [1]);
        checker.ResetReported(null);
        checker.Received(2);
        checker.Received(6);
        var counts = checker.Finish();
        Assert.Equal(3, counts.Lost);
        Assert.Equal(0, counts.ReportedLost);
    }

    [Fact]
    public void A_late_arrival_inside_a_reported_gap_is_reordered_and_no_longer_reported_lost()
    {
        var checker = Exchange(sent: 4, received: [1]);
        checker.ResetReported(null);
        checker.Received(4);
        checker.Received(2);
        Assert.Equal(new StreamCounts(4, 3, 0, 0, 1, 1), checker.Finish());
    }

    [Fact]
    public void What_was_sent_and_never_delivered_is_lost_at_the_end()
    {
        var checker = Exchange(sent: 5, received: [1, 2, 3]);
        Assert.Equal(2, checker.Outstanding);
        Assert.Equal(new StreamCounts(5, 3, 2, 0, 0, 0), checker.Finish());
    }

    [Fact]
    public void A_reset_reported_after_the_last_delivery_covers_the_undelivered_tail()
    {
        var checker = Exchange(sent: 5, received: [1, 2, 3]);
        checker.ResetReported(2);
        Assert.Equal(new StreamCounts(5, 3, 0, 0, 0, 2), checker.Finish());
    }

    [Fact]
    public void Finish_counts_the_tail_once()
    {
        var checker = Exchange(sent: 5, received: [1]);
        var first = checker.Finish();
        Assert.Equal(first, checker.Finish());
        Assert.Equal(4, first.Lost);
    }

    [Fact]
    public void Snapshot_does_not_judge_what_is_in_flight()
    {
        var checker = Exchange(sent: 5, received: [1, 2]);
        Assert.Equal(new StreamCounts(5, 2, 0, 0, 0, 0), checker.Snapshot());
    }

    [Fact]
    public void A_message_may_be_received_before_its_sender_records_it()
    {
        // The receiver can run before the sender's SendAsync returns: only the final tally looks at what was sent.
        var checker = new StreamChecker();
        checker.Received(1);
        checker.Sent(1);
        Assert.Equal(0, checker.Outstanding);
        Assert.Equal(new StreamCounts(1, 1, 0, 0, 0, 0), checker.Finish());
    }

    [Fact]
    public void Counts_add_up()
    {
        var sum = StreamCounts.Sum([new StreamCounts(1, 2, 3, 4, 5, 6), new StreamCounts(10, 20, 30, 40, 50, 60)]);
        Assert.Equal(new StreamCounts(11, 22, 33, 44, 55, 66), sum);
        Assert.False(default(StreamCounts).HasFailures);
        Assert.True(new StreamCounts(0, 0, 0, 0, 1, 0).HasFailures);
        Assert.False(new StreamCounts(0, 0, 0, 0, 0, 7).HasFailures);
    }

    private static StreamChecker Exchange(long sent, long[] received)
    {
        var checker = new StreamChecker();
        for (var counter = 1L; counter <= sent; counter++)
        {
            checker.Sent(counter);
        }

        foreach (var counter in received)
        {
            checker.Received(counter);
        }

        return checker;
    }
}
