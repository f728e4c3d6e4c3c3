namespace Tether.Cli.Hosting;

/// <summary>
/// Asks for a graceful stop when stdin ends (<c>tether serve --stop-on-stdin-end</c>): the parent that holds the other
/// end of the pipe has closed it or died, and nothing else would stop the server.
/// </summary>
internal static class StdinWatch
{
    public static void Start(ShutdownSignal signal)
    {
        // A thread of its own: a console read blocks, and would hold a thread-pool thread for the server's lifetime.
        var thread = new Thread(() => WaitForEnd(signal)) { IsBackground = true, Name = "tether stdin watch" };
        thread.Start();
    }

    private static void WaitForEnd(ShutdownSignal signal)
    {
        try
        {
            using var stdin = Console.OpenStandardInput();
            var buffer = new byte[256];
            while (stdin.Read(buffer) > 0)
            {
                // Input is ignored: only its end matters.
            }
        }
        catch (IOException)
        {
            // A broken stdin is an ended one.
        }

        try
        {
            signal.Request();
        }
        catch (ObjectDisposedException)
        {
            // The server stopped first.
        }
    }
}
