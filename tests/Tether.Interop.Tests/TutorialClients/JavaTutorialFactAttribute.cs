namespace Tether.Interop.Tests.TutorialClients;

/// <summary>A <see cref="FactAttribute"/> that skips when <c>javac</c> or <c>java</c> is not on PATH.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class JavaTutorialFactAttribute : FactAttribute
{
    public JavaTutorialFactAttribute()
    {
        if (TutorialTools.Javac is null || TutorialTools.Java is null)
        {
            Skip = $"{(TutorialTools.Javac is null ? "javac" : "java")} is not on PATH: the Java tutorial clients (tests/interop/tutorial/java) cannot be built and run";
        }
    }
}
