using System.Runtime.InteropServices;

namespace Tether.TestSupport;

/// <summary>Sends POSIX signals through libc's <c>kill</c>.</summary>
internal static class PosixSignal
{
    public static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    // DllImport rather than LibraryImport: the generated stub would need unsafe code for an int-only signature.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
