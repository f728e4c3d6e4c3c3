namespace Tether.Interop.Tests;

/// <summary>A <see cref="FactAttribute"/> that skips when <c>gcc</c> is not on PATH.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class GccFactAttribute : FactAttribute
{
    public static string? Gcc { get; } = InteropFiles.FindOnPath("gcc");

    public GccFactAttribute()
    {
        if (Gcc is null)
        {
            Skip = "gcc is not on PATH: the C load generator (bench/floor/idle_holder.c) cannot be built";
        }
    }
}
