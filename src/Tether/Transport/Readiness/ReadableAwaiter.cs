using System.Threading.Tasks.Sources;

namespace Tether.Transport.Readiness;

/// <summary>
/// The reusable awaitable behind <see cref="SocketTransport.WaitReadableAsync"/>: one per transport that waits with
/// await (handshakes, the client, the close), none for a server connection driven by readiness callbacks.
/// </summary>
internal sealed class ReadableAwaiter : IValueTaskSource<int>
{
    private ManualResetValueTaskSourceCore<int> _core = new() { RunContinuationsAsynchronously = true };

    /// <summary>A fresh wait: the previous one must have been awaited.</summary>
    public ValueTask<int> Begin()
    {
        _core.Reset();
        return new ValueTask<int>(this, _core.Version);
    }

    public void Complete() => _core.SetResult(0);

    public int GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
