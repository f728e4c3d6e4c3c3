using Tether.Server;

namespace Tether.Tests.Server;

/// <summary>What the public connection type lets an application do, and no more.</summary>
public sealed class ConnectionSurfaceTests
{
    [Fact]
    public void A_connection_is_not_a_thread_pool_work_item_an_application_could_run()
    {
        // The connection's hops to the thread pool go through its internal link (ConnectionLink.QueueWork).
        Assert.False(typeof(IThreadPoolWorkItem).IsAssignableFrom(typeof(TetherConnection)));
        Assert.All(typeof(TetherConnection).GetInterfaces(), i => Assert.False(i.IsPublic, i.FullName));
    }
}
