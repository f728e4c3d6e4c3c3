namespace Tether.Tests.Support;

/// <summary>A <see cref="FactAttribute"/> for what exists on Linux only (the readiness engine); skips elsewhere.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "the readiness engine runs on Linux only";
        }
    }
}
