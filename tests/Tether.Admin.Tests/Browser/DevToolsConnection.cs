using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Tether.Admin.Tests.Browser;

/// <summary>
/// One WebSocket to Chromium's DevTools: commands with an id, answers matched by id, events ignored. Commands for a
/// tab carry its flat-mode session id. Every command has a bounded wait.
/// </summary>
internal sealed class DevToolsConnection : IAsyncDisposable
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(20);

    private readonly ClientWebSocket _socket;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private long _nextId;

    private DevToolsConnection(ClientWebSocket socket)
    {
        _socket = socket;
        _reader = Task.Run(ReadLoopAsync);
    }

    public static async Task<DevToolsConnection> ConnectAsync(Uri endpoint, TimeSpan timeout)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(endpoint, cancel.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new DevToolsConnection(socket);
    }

    /// <summary>Sends a command and returns its <c>result</c>; throws with DevTools' message on an error answer.</summary>
    public async Task<JsonElement> SendAsync(string method, object? parameters = null, string? sessionId = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        var message = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["id"] = id,
            ["method"] = method,
            ["params"] = parameters ?? new { },
            ["sessionId"] = sessionId,
        }.Where(p => p.Value is not null).ToDictionary());

        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, _stop.Token);
        }
        finally
        {
            _sendLock.Release();
        }

        try
        {
            return await answer.Task.WaitAsync(CommandTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"DevTools did not answer {method} within {CommandTimeout.TotalSeconds} s");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var result = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                Dispatch(message.ToArray());
                message.SetLength(0);
            }
        }
        catch (Exception error) when (error is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
        }

        foreach (var pending in _pending.Values)
        {
            pending.TrySetException(new IOException("the DevTools connection closed"));
        }
    }

    private void Dispatch(byte[] utf8)
    {
        using var document = JsonDocument.Parse(utf8);
        var root = document.RootElement;
        if (!root.TryGetProperty("id", out var idElement) || !_pending.TryGetValue(idElement.GetInt64(), out var answer))
        {
            return; // an event
        }

        if (root.TryGetProperty("error", out var error))
        {
            answer.TrySetException(new InvalidOperationException("DevTools: " + Encoding.UTF8.GetString(utf8)));
            return;
        }

        answer.TrySetResult(root.GetProperty("result").Clone());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }

        _socket.Abort();
        _socket.Dispose();
        _stop.Dispose();
        _sendLock.Dispose();
    }
}
