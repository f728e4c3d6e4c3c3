using Tether.Cluster;

namespace Tether.Tests.Cluster;

/// <summary>The binary format of messages between nodes.</summary>
public sealed class ClusterMessageTests
{
    [Fact]
    public void A_message_round_trips_with_its_kind_origin_key_and_payload()
    {
        var bytes = new ClusterMessage(ClusterMessageKind.Push, "node-a:0123", "client-é", new byte[] { 1, 2, 3 }).Encode();

        Assert.True(ClusterMessage.TryDecode(bytes, out var decoded));
        Assert.Equal(ClusterMessageKind.Push, decoded.Kind);
        Assert.Equal("node-a:0123", decoded.Origin);
        Assert.Equal("client-é", decoded.Key);
        Assert.Equal(new byte[] { 1, 2, 3 }, decoded.Payload.ToArray());
        Assert.Equal(1 + 2 + 11 + 2 + 9 + 3, bytes.Length);
    }

    [Fact]
    public void An_empty_key_and_payload_are_allowed()
    {
        var bytes = ClusterMessage.Encode(ClusterMessageKind.Probe, "n", string.Empty, default);

        Assert.True(ClusterMessage.TryDecode(bytes, out var decoded));
        Assert.Equal(ClusterMessageKind.Probe, decoded.Kind);
        Assert.Equal(string.Empty, decoded.Key);
        Assert.True(decoded.Payload.IsEmpty);
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 1, 0, 1 })]
    [InlineData(new byte[] { 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 1, 0, 5, 65, 0, 0 })]
    [InlineData(new byte[] { 1, 0, 1, 65, 0, 9, 66 })]
    public void Malformed_bytes_are_refused_without_an_exception(byte[] bytes) =>
        Assert.False(ClusterMessage.TryDecode(bytes, out _));
}
