using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Tether.Admin.Api;

namespace Tether.Admin.Security;

/// <summary>
/// Lets a request through only with <c>Authorization: Bearer KEY</c>, except the health probes and endpoints marked
/// <see cref="IAllowAnonymous"/> (the dashboard page's static files); everything else, unknown paths included, gets 401
/// with a JSON error, so a missing key never tells a caller which paths exist.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, AdminApiKey key, AdminLog log)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (IsOpen(context) || key.Matches(context.Request.Headers.Authorization.ToString()))
        {
            return next(context);
        }

        log.Unauthorized(context.Request.Method, context.Request.Path, context.Connection.RemoteIpAddress);
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return context.Response.WriteAsJsonAsync(new ApiError("missing or wrong API key: send Authorization: Bearer KEY"), AdminJson.Default.ApiError);
    }

    private static bool IsOpen(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase)
        || context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null;
}
