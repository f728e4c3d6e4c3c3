namespace Tether.Admin;

/// <summary>One thing a probe looked at: its name, whether it is fine, and why (the JSON body of a probe).</summary>
internal sealed record ProbeCheck(string Name, bool Ok, string Detail);

/// <summary>A probe's answer: <c>live</c> / <c>not live</c> or <c>ready</c> / <c>not ready</c>, and every check behind it.</summary>
internal sealed record ProbeReport(string Status, IReadOnlyList<ProbeCheck> Checks)
{
    public bool Ok => Checks.All(check => check.Ok);
}
