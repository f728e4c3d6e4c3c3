namespace Tether.Interop.Tests.ClientLibraries;

/// <summary>
/// A <see cref="FactAttribute"/> that skips, with a reason, when the C++ toolchain of clients/cpp (<c>g++</c>,
/// <c>cmake</c>, <c>make</c>) is not on PATH.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class CppClientFactAttribute : FactAttribute
{
    public CppClientFactAttribute()
    {
        var missing = new[] { "g++", "cmake", "make", "flock" }.Where(tool => InteropFiles.FindOnPath(tool) is null).ToArray();
        if (missing.Length > 0)
        {
            Skip = $"{string.Join(", ", missing)} not on PATH: the C++ client (clients/cpp) cannot be built";
        }
    }
}
