using Tether.Sessions;

namespace Tether.Cli.Output;

/// <summary>The kebab-case name of a <see cref="SessionLostReason"/>, as in JSON events and human lines (like <c>heartbeat-timeout</c> for disconnects).</summary>
internal static class SessionLostReasonText
{
    public static string Format(SessionLostReason reason) => reason switch
    {
        SessionLostReason.Unknown => "unknown",
        SessionLostReason.Expired => "expired",
        SessionLostReason.Overflow => "overflow",
        SessionLostReason.Gap => "gap",
        SessionLostReason.NotGranted => "not-granted",
        SessionLostReason.Superseded => "superseded",
        // A reason added to the library later still reads as one lowercase word rather than failing.
        _ => reason.ToString().ToLowerInvariant(),
    };
}
