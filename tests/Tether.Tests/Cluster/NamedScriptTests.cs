using Tether.Cluster;

namespace Tether.Tests.Cluster;

public sealed class NamedScriptTests
{
    [Fact]
    public void Names_become_keys_and_arguments_in_the_order_given()
    {
        var script = new NamedScript(
            "redis.call('HSET', @session, 'sid', @sid) return @log .. @sid_2",
            ["session", "log"],
            ["sid", "sid_2"]);

        Assert.Equal("redis.call('HSET', KEYS[1], 'sid', ARGV[1]) return KEYS[2] .. ARGV[2]", script.Text);
    }

    [Fact]
    public void A_name_that_is_neither_a_key_nor_an_argument_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new NamedScript("return @missing", ["session"], []));

        Assert.Contains("@missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_call_with_the_wrong_number_of_keys_or_arguments_is_refused_before_it_reaches_redis()
    {
        var script = new NamedScript("return @a", ["a"], []);

        await Assert.ThrowsAsync<ArgumentException>(() => script.EvaluateAsync(null!, [], []));
    }

    [Fact]
    public void Every_session_script_refers_only_to_its_declared_names()
    {
        // The scripts are rewritten when the class is first used; an undeclared name would throw there.
        Assert.DoesNotContain('@', SessionScripts.Create.Text);
        Assert.DoesNotContain('@', SessionScripts.Append.Text);
        Assert.DoesNotContain('@', SessionScripts.AppendDetached.Text);
        Assert.DoesNotContain('@', SessionScripts.Claim.Text);
        Assert.DoesNotContain('@', SessionScripts.Lose.Text);
        Assert.DoesNotContain('@', SessionScripts.Orphan.Text);
        Assert.DoesNotContain('@', SessionScripts.Release.Text);
        Assert.DoesNotContain('@', SessionScripts.Sync.Text);
    }
}
