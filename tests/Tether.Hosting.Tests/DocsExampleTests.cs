using Microsoft.Extensions.DependencyInjection;
using Tether.Server;

namespace Tether.Hosting.Tests;

public sealed class DocsExampleTests
{
    [Fact]
    public async Task The_documented_host_binds_the_command_line_and_listens_on_both_listeners()
    {
        using var host = DocsExample.Build(["--Tether:Server:EndPoints:0=127.0.0.1:0", "--Tether:Server:ServerId=docs"]);
        await host.StartAsync();

        var server = host.Services.GetRequiredService<TetherServer>();
        Assert.Equal(2, server.LocalEndPoints.Count);
        Assert.Equal("docs", host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TetherServerOptions>>().Value.ServerId);

        await host.StopAsync();
    }
}
