namespace Tether.Interop.Tests.TutorialClients;

/// <summary>A <see cref="FactAttribute"/> that skips when <c>g++</c> is not on PATH.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class CppTutorialFactAttribute : FactAttribute
{
    public CppTutorialFactAttribute()
    {
        if (TutorialTools.Gxx is null)
        {
            Skip = "g++ is not on PATH: the C++ tutorial clients (tests/interop/tutorial/cpp) cannot be built";
        }
    }
}
