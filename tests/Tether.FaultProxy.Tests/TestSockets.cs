using System.Net;
using System.Net.Sockets;

namespace Tether.FaultProxy.Tests;

internal static class TestTimeouts
{
    /// <summary>How long to wait for something that must happen.</summary>
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    /// <summary>How long to watch for something that must not happen.</summary>
    public static readonly TimeSpan Silence = TimeSpan.FromMilliseconds(500);
}

/// <summary>What one read on a socket produced.</summary>
internal enum ReadOutcome
{
    Data,
    Fin,
    Reset,
}

internal static class TestSockets
{
    public static async Task<Socket> ConnectAsync(EndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint).WaitAsync(TestTimeouts.Generous);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Generous);
            data = data[sent..];
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes; fails on end of stream or timeout.</summary>
    public static async Task<byte[]> ReadExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        var offset = 0;
        while (offset < count)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(offset), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Generous);
            Assert.True(read > 0, $"End of stream after {offset} of {count} bytes.");
            offset += read;
        }

        return buffer;
    }

    /// <summary>Reads once and classifies the result.</summary>
    public static Task<ReadOutcome> ReadOnceAsync(Socket socket) =>
        ClassifyAsync(socket.ReceiveAsync(new byte[4096], SocketFlags.None));

    /// <summary>Waits (generously) for a pending read and classifies it.</summary>
    public static async Task<ReadOutcome> ClassifyAsync(Task<int> read)
    {
        try
        {
            return await read.WaitAsync(TestTimeouts.Generous) == 0 ? ReadOutcome.Fin : ReadOutcome.Data;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            return ReadOutcome.Reset;
        }
    }

    /// <summary>Reads until end of stream (or reset) and returns everything read before it.</summary>
    public static async Task<(byte[] Data, ReadOutcome End)> ReadToEndAsync(Socket socket)
    {
        using var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            int read;
            try
            {
                read = await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TestTimeouts.Generous);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                return (received.ToArray(), ReadOutcome.Reset);
            }

            if (read == 0)
            {
                return (received.ToArray(), ReadOutcome.Fin);
            }

            received.Write(buffer, 0, read);
        }
    }

    /// <summary>True when <paramref name="task"/> is still pending after the silence window.</summary>
    public static async Task<bool> StaysPendingAsync(Task task)
    {
        await Task.WhenAny(task, Task.Delay(TestTimeouts.Silence));
        return !task.IsCompleted;
    }

    public static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Closes with a RST.</summary>
    public static void Reset(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Dispose();
    }
}
