using Microsoft.AspNetCore.Http;

namespace Tether.Admin.Api;

/// <summary>Error answers: a status code and <c>{"error": "one line"}</c>.</summary>
internal static class ApiResults
{
    public static IResult Error(int status, string message) =>
        Results.Json(new ApiError(message), AdminJson.Default.ApiError, statusCode: status);

    public static IResult BadRequest(string message) => Error(StatusCodes.Status400BadRequest, message);

    public static IResult NotFound(string message) => Error(StatusCodes.Status404NotFound, message);
}
