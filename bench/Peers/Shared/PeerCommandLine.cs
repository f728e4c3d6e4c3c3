using System.Globalization;
using System.Runtime.InteropServices;

namespace Tether.Bench.Peers;

/// <summary>
/// The command line every peer server shares: <c>--port P</c> (0 = any free port) and <c>--port-file F</c>
/// (the bound port as one line, written once listening and deleted on exit), plus the one-line readiness
/// message on stderr and a wait for SIGTERM or Ctrl-C.
/// </summary>
internal sealed class PeerCommandLine
{
    private PeerCommandLine(int port, string? portFile)
    {
        Port = port;
        PortFile = portFile;
    }

    /// <summary>The port asked for; 0 means any free port.</summary>
    public int Port { get; }

    /// <summary>Where to write the bound port once listening, if anywhere.</summary>
    public string? PortFile { get; }

    /// <summary>Parses the arguments, or returns null after printing a one-line error.</summary>
    public static PeerCommandLine? Parse(string[] args, string programName)
    {
        var port = 0;
        string? portFile = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--port" when value is not null
                    && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port)
                    && port <= 65535:
                    i++;
                    break;
                case "--port-file" when !string.IsNullOrEmpty(value):
                    portFile = value;
                    i++;
                    break;
                default:
                    Console.Error.WriteLine($"{programName}: bad argument '{args[i]}'; usage: {programName} [--port P] [--port-file F]");
                    return null;
            }
        }

        return new PeerCommandLine(port, portFile);
    }

    /// <summary>Says the server is ready: one line on stderr, then the port file (written whole, then renamed).</summary>
    public void AnnounceListening(int boundPort)
    {
        Console.Error.WriteLine($"listening on 127.0.0.1:{boundPort.ToString(CultureInfo.InvariantCulture)}");
        if (PortFile is not null)
        {
            var temporary = PortFile + ".tmp";
            File.WriteAllText(temporary, boundPort.ToString(CultureInfo.InvariantCulture) + "\n");
            File.Move(temporary, PortFile, overwrite: true);
        }
    }

    /// <summary>Deletes the port file, if one was asked for.</summary>
    public void Retract()
    {
        if (PortFile is not null)
        {
            File.Delete(PortFile);
        }
    }

    /// <summary>Completes on the first SIGTERM or SIGINT (Ctrl-C), which are then not allowed to end the process by themselves.</summary>
    public static async Task WaitForShutdownSignalAsync()
    {
        var signalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            signalled.TrySetResult();
        }

        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        await signalled.Task;
    }
}
