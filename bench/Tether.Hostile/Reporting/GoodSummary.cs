using Tether.Hostile.Good;

namespace Tether.Hostile.Reporting;

/// <summary>The good clients' line in the report; <see cref="ConnectError"/> is set when they could not even connect.</summary>
internal sealed record GoodSummary(int Clients, EchoCounts Counts, int Disconnects, int SessionsLost, IReadOnlyList<string> DisconnectReasons, string? ConnectError);
