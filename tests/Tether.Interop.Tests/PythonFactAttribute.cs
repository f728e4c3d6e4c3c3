namespace Tether.Interop.Tests;

/// <summary>
/// A <see cref="FactAttribute"/> that skips, with a reason, when <c>python3</c> is not on PATH. xunit 2 has no dynamic
/// skip, so the check runs when the attribute is constructed (test discovery).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class PythonFactAttribute : FactAttribute
{
    public PythonFactAttribute()
    {
        if (PythonClient.Python3Path is null)
        {
            Skip = "python3 is not on PATH: the Python interop client (tests/interop/python/tether_client.py) cannot run";
        }
    }
}
