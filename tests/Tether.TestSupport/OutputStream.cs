namespace Tether.TestSupport;

/// <summary>One of a <see cref="ChildProcess"/>'s two output streams.</summary>
public enum OutputStream
{
    Stdout,
    Stderr,
}
