using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Tether.Admin.Tests;

internal static class ApiTestSupport
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<(int Status, JsonElement Body)> SendAsync(this HttpClient http, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = Json(json);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return ((int)response.StatusCode, body);
    }

    public static Task<(int Status, JsonElement Body)> PostAsync(this HttpClient http, string path, string json) => http.SendAsync(HttpMethod.Post, path, json);

    public static Task<(int Status, JsonElement Body)> GetJsonAsync(this HttpClient http, string path) => http.SendAsync(HttpMethod.Get, path);

    public static string Text(this JsonElement body, string name) => body.GetProperty(name).GetString()!;

    public static async Task<JsonElement> InfoAsync(this HttpClient http) =>
        (await http.GetFromJsonAsync<JsonElement>("/api/info"))!;
}
