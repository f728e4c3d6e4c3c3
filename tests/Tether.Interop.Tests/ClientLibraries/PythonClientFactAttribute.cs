namespace Tether.Interop.Tests.ClientLibraries;

/// <summary>
/// A <see cref="FactAttribute"/> for the Python client library (clients/python) that skips, with a reason, when
/// <c>python3</c> is not on PATH: the library needs nothing else.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class PythonClientFactAttribute : FactAttribute
{
    public PythonClientFactAttribute()
    {
        if (InteropFiles.FindOnPath("python3") is null)
        {
            Skip = "python3 is not on PATH: the Python client library (clients/python) cannot run";
        }
    }
}
