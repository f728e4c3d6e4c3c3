namespace Tether.Admin.Tests.Browser;

/// <summary>A <see cref="FactAttribute"/> that skips, saying why, where no chromium binary exists (.ci/run installs it).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Chromium.Executable is null)
        {
            Skip = "no chromium binary on PATH (apt-get install chromium, or set TETHER_CHROMIUM to its path)";
        }
    }
}
