using Microsoft.AspNetCore.Routing;

namespace Tether.Admin.Dashboard;

// PLACEHOLDER in the API branch, so that the admin listener's composition compiles: the "dashboard" part replaces this
// file with the real page. Its static files must carry IAllowAnonymous metadata (.AllowAnonymous()) to be served
// without the key; its data calls go to /api/* with the key.
internal static class DashboardEndpoints
{
    public static IEndpointRouteBuilder MapTetherDashboard(this IEndpointRouteBuilder endpoints) => endpoints;
}
