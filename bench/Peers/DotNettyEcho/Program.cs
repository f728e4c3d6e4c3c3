// DotNetty echo peer: a ServerBootstrap with a boss and a worker event loop group; a reader-idle timeout
// (75 s, Tether's default heartbeat timeout) closes silent connections; every received buffer is written back.
using System.Net;
using DotNetty.Handlers.Timeout;
using DotNetty.Transport.Bootstrapping;
using DotNetty.Transport.Channels;
using DotNetty.Transport.Channels.Sockets;
using Tether.Bench.Peers;

var commandLine = PeerCommandLine.Parse(args, "DotNettyEcho");
if (commandLine is null)
{
    return 2;
}

var bossGroup = new MultithreadEventLoopGroup(1);
var workerGroup = new MultithreadEventLoopGroup();
try
{
    var echo = new EchoHandler();
    var bootstrap = new ServerBootstrap()
        .Group(bossGroup, workerGroup)
        .Channel<TcpServerSocketChannel>()
        .ChildHandler(new ActionChannelInitializer<ISocketChannel>(channel =>
            channel.Pipeline.AddLast(new IdleStateHandler(readerIdleTimeSeconds: 75, writerIdleTimeSeconds: 0, allIdleTimeSeconds: 0), echo)));

    IChannel listener;
    try
    {
        listener = await bootstrap.BindAsync(IPAddress.Loopback, commandLine.Port);
    }
    catch (Exception e)
    {
        Console.Error.WriteLine($"DotNettyEcho: cannot listen on 127.0.0.1:{commandLine.Port}: {e.Message}");
        return 1;
    }

    commandLine.AnnounceListening(((IPEndPoint)listener.LocalAddress).Port);
    try
    {
        await PeerCommandLine.WaitForShutdownSignalAsync();
        await listener.CloseAsync();
    }
    finally
    {
        commandLine.Retract();
    }
}
finally
{
    await Task.WhenAll(
        bossGroup.ShutdownGracefullyAsync(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)),
        workerGroup.ShutdownGracefullyAsync(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)));
}

return 0;

/// <summary>
/// Writes every received buffer back, flushing once per read batch (DotNetty's own echo pattern); closes the channel
/// when the <see cref="IdleStateHandler"/> before it reports the reader idle, or on any error.
/// </summary>
internal sealed class EchoHandler : ChannelHandlerAdapter
{
    public override bool IsSharable => true;

    public override void ChannelRead(IChannelHandlerContext context, object message) => _ = context.WriteAsync(message);

    public override void ChannelReadComplete(IChannelHandlerContext context) => context.Flush();

    public override void UserEventTriggered(IChannelHandlerContext context, object evt)
    {
        if (evt is IdleStateEvent)
        {
            _ = context.CloseAsync();
        }
        else
        {
            base.UserEventTriggered(context, evt);
        }
    }

    public override void ExceptionCaught(IChannelHandlerContext context, Exception exception) => _ = context.CloseAsync();
}
