using Tether.Heartbeat;

namespace Tether.Tests.Heartbeat;

public sealed class HeartbeatNegotiationTests
{
    // The examples table of docs/protocol.md section 8.1, with the default server settings.
    [Theory]
    [InlineData(0u, 0u, 30000, 75000)]
    [InlineData(10000u, 0u, 10000, 25000)]
    [InlineData(10000u, 25000u, 10000, 25000)]
    [InlineData(20000u, 20000u, 20000, 30000)]
    [InlineData(500u, 600u, 1000, 1500)]
    [InlineData(600000u, 0u, 300000, 750000)]
    [InlineData(60000u, 3600000u, 60000, 900000)]
    public void Server_decides_as_the_spec_says(uint proposedInterval, uint proposedTimeout, int interval, int timeout)
    {
        var decided = HeartbeatNegotiation.Decide(new HeartbeatOptions(), proposedInterval, proposedTimeout);

        Assert.Equal(TimeSpan.FromMilliseconds(interval), decided.Interval);
        Assert.Equal(TimeSpan.FromMilliseconds(timeout), decided.Timeout);
    }

    [Fact]
    public void A_one_second_server_heartbeat_with_a_three_second_timeout_is_what_clients_without_preference_get()
    {
        var policy = new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromSeconds(3) };

        var decided = HeartbeatNegotiation.Decide(policy, 0, 0);

        Assert.Equal(new HeartbeatSettings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)), decided);
    }

    [Fact]
    public void Inconsistent_server_settings_are_rejected_with_a_clear_message()
    {
        var policy = new HeartbeatOptions { Interval = TimeSpan.FromSeconds(10), Timeout = TimeSpan.FromSeconds(5) };

        var error = Assert.Throws<ArgumentException>(policy.Validate);

        Assert.Contains("must be at least the interval", error.Message, StringComparison.Ordinal);
    }
}
