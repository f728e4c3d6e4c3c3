namespace Tether.Interop.Tests.ClientLibraries;

/// <summary>
/// A <see cref="FactAttribute"/> that skips when the Java client's toolchain (<c>java</c>, <c>javac</c>, and
/// <c>bash</c> with <c>flock</c> for its build script) is not on PATH.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class JavaClientFactAttribute : FactAttribute
{
    public JavaClientFactAttribute()
    {
        if (JavaClientLibrary.MissingTool is { } missing)
        {
            Skip = $"{missing} is not on PATH: the Java client (clients/java) cannot be built and run";
        }
    }
}
