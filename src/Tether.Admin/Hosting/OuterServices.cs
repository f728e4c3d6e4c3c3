namespace Tether.Admin.Hosting;

/// <summary>The host's own services, for the admin app's parts that need more than the server (health checks, say).</summary>
/// <param name="Services">The service provider of the host that runs the admin listener.</param>
internal sealed record OuterServices(IServiceProvider Services);
