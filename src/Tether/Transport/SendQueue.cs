using System.Buffers;

namespace Tether.Transport;

/// <summary>
/// One connection's sending: frames from any thread are encoded into this buffer under its monitor, and one drain at
/// a time hands them to the transport's network side. The drain runs on the thread that ended the send and completes
/// synchronously whenever the kernel takes everything; only what it will not take yet goes on asynchronously. Nothing
/// here holds a task, a buffer or an event-args object while there is nothing to send.
/// </summary>
internal sealed class SendQueue : OutboundBuffer
{
    private bool _draining;
    private bool _completed;
    private bool _failed;
    private bool _corked;
    private int _inflightBytes;
    private TaskCompletionSource? _drained;

    /// <summary>False once the connection is closing or broken: anything written is discarded.</summary>
    public bool CanSend => !_completed && !_failed;

    /// <summary>Bytes queued or being written, not yet handed to the kernel (call under the monitor).</summary>
    public int PendingBytesUnlocked => Length + _inflightBytes;

    /// <summary>Bytes queued or being written, not yet handed to the kernel.</summary>
    public int PendingBytes
    {
        get
        {
            lock (this)
            {
                return PendingBytesUnlocked;
            }
        }
    }

    /// <summary>Holds back draining until <see cref="Uncork"/>.</summary>
    public void Cork()
    {
        lock (this)
        {
            _corked = true;
        }
    }

    /// <summary>Ends <see cref="Cork"/> and drains what was queued meanwhile.</summary>
    public void Uncork(SocketTransport transport)
    {
        Monitor.Enter(this);
        _corked = false;
        ExitAndDrain(transport);
    }

    /// <summary>Leaves the monitor (entered by the writer) and starts a drain if one is needed.</summary>
    public void ExitAndDrain(SocketTransport transport)
    {
        var start = false;
        if (Length > 0 && !_draining && !_failed && !_corked)
        {
            _draining = true;
            start = true;
        }

        Monitor.Exit(this);
        if (start)
        {
            _ = DrainAsync(transport);
        }
    }

    /// <summary>Completes when everything queued so far is written, or at once when the connection broke.</summary>
    public Task FlushAsync()
    {
        lock (this)
        {
            if ((!_draining && Length == 0) || _failed)
            {
                return Task.CompletedTask;
            }

            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }

    /// <summary>No more sends after what is queued (a close is under way).</summary>
    public void Complete()
    {
        lock (this)
        {
            _completed = true;
        }
    }

    /// <summary>No more sends at all: what is queued is dropped and flush waiters are released.</summary>
    public void Abort()
    {
        lock (this)
        {
            _completed = true;
            _failed = true;
            if (!_draining)
            {
                Release();
            }

            CompleteDrainedWaiter();
        }
    }

    private async Task DrainAsync(SocketTransport transport)
    {
        while (true)
        {
            byte[] buffer;
            int length;
            lock (this)
            {
                if (Length == 0 || _failed)
                {
                    Release();
                    _draining = false;
                    CompleteDrainedWaiter();
                    return;
                }

                buffer = Take(out length)!;
                _inflightBytes = length;
            }

            try
            {
                await transport.WriteToNetworkAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
            }
            catch (Exception ex) when (SocketTransport.IsConnectionFailure(ex) || ex is InvalidOperationException or NotSupportedException)
            {
                lock (this)
                {
                    _failed = true;
                }

                transport.SendFailed?.OnSendFailed(ex);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
                lock (this)
                {
                    _inflightBytes = 0;
                }
            }
        }
    }

    private void CompleteDrainedWaiter()
    {
        var waiter = _drained;
        _drained = null;
        waiter?.TrySetResult();
    }
}
