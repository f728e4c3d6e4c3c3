// MQTTnet broker peer: the MQTTnet 5 server with default options on its default (plain TCP) endpoint.
// The broker enforces MQTT keep-alive itself.
using System.Net;
using System.Net.Sockets;
using MQTTnet.Server;
using Tether.Bench.Peers;

var commandLine = PeerCommandLine.Parse(args, "MqttNetBroker");
if (commandLine is null)
{
    return 2;
}

var factory = new MqttServerFactory();

// MQTTnet does not report the port the system picks for port 0, so for --port 0 a free port is found first;
// should another process take it in between, another is tried.
var attemptsLeft = commandLine.Port == 0 ? 5 : 1;
while (true)
{
    var port = commandLine.Port == 0 ? FindFreeLoopbackPort() : commandLine.Port;
    var options = factory.CreateServerOptionsBuilder()
        .WithDefaultEndpoint()
        .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
        .WithDefaultEndpointBoundIPV6Address(IPAddress.None)
        .WithDefaultEndpointPort(port)
        .Build();
    using var server = factory.CreateMqttServer(options);
    try
    {
        await server.StartAsync();
    }
    catch (SocketException) when (--attemptsLeft > 0)
    {
        continue;
    }
    catch (SocketException e)
    {
        Console.Error.WriteLine($"MqttNetBroker: cannot listen on 127.0.0.1:{port}: {e.Message}");
        return 1;
    }

    commandLine.AnnounceListening(port);
    try
    {
        await PeerCommandLine.WaitForShutdownSignalAsync();
        await server.StopAsync();
    }
    finally
    {
        commandLine.Retract();
    }

    return 0;
}

static int FindFreeLoopbackPort()
{
    using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    return ((IPEndPoint)probe.LocalEndPoint!).Port;
}
