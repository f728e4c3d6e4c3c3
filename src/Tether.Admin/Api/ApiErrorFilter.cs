using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Tether.Admin.Api;

/// <summary>
/// Turns what the library throws into an answer: a bad name or payload is the caller's (400), a
/// <see cref="TetherException"/> from a cluster call is Redis or another node not answering (503), a timeout is 504.
/// The caller gets the one-line message, never a stack trace; the answer is logged.
/// </summary>
internal static class ApiErrorFilter
{
    public static async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        IResult answer;
        int status;
        string message;
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            (status, message) = (StatusCodes.Status400BadRequest, OneLine(ex.Message));
        }
        catch (TimeoutException ex)
        {
            (status, message) = (StatusCodes.Status504GatewayTimeout, OneLine(ex.Message));
        }
        catch (TetherException ex)
        {
            (status, message) = (StatusCodes.Status503ServiceUnavailable, OneLine(ex.Message));
        }

        answer = ApiResults.Error(status, message);
        var http = context.HttpContext;
        http.RequestServices.GetRequiredService<AdminLog>().RequestFailed(http.Request.Method, http.Request.Path, status, message);
        return answer;
    }

    // ArgumentException appends " (Parameter 'x')": the caller named no parameter.
    internal static string OneLine(string message)
    {
        var cut = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        var text = cut > 0 ? message[..cut] : message;
        return text.ReplaceLineEndings(" ");
    }
}
