using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tether.Admin.Api;

/// <summary>The admin API's JSON contract, source-generated (web defaults: camelCase names).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(InfoResponse))]
[JsonSerializable(typeof(PushRequest))]
[JsonSerializable(typeof(FanOutRequest))]
[JsonSerializable(typeof(PushResponse))]
[JsonSerializable(typeof(FanOutResponse))]
[JsonSerializable(typeof(ClientsPage))]
[JsonSerializable(typeof(ClientResponse))]
[JsonSerializable(typeof(MembershipResponse))]
[JsonSerializable(typeof(DisconnectResponse))]
internal sealed partial class AdminJson : JsonSerializerContext;
