namespace Tether.Examples.Tests.Docs;

/// <summary>What a C# block in the documentation claims to be, from its fence's info string.</summary>
public enum CodeBlockKind
{
    /// <summary><c>```csharp</c>: a whole Program.cs of a console app; built.</summary>
    Program,

    /// <summary><c>```csharp file</c>: a whole source file that is not a program (e.g. one class); built as a library.</summary>
    File,

    /// <summary><c>```csharp fragment</c>: lines that need surroundings the reader supplies; not built.</summary>
    Fragment,

    /// <summary>Another C# fence (<c>```cs</c>, <c>```c#</c>...) that says none of the above: not allowed.</summary>
    Unmarked,
}
