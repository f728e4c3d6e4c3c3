namespace Tether.Interop.Tests.TutorialClients;

/// <summary>A <see cref="FactAttribute"/> that skips when <c>python3</c> is not on PATH.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class PythonTutorialFactAttribute : FactAttribute
{
    public PythonTutorialFactAttribute()
    {
        if (TutorialTools.Python3 is null)
        {
            Skip = "python3 is not on PATH: the Python tutorial clients (tests/interop/tutorial/python) cannot run";
        }
    }
}
