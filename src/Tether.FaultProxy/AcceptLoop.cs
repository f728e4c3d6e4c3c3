using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Tether.FaultProxy;

/// <summary>
/// Accepts clients on the listening socket and hands each to an admission callback; a client that is not admitted,
/// or that arrives while stopping, is reset.
/// </summary>
internal sealed class AcceptLoop : IAsyncDisposable
{
    /// <summary>How long to wait after a failed accept, which is typically running out of file descriptors.</summary>
    private static readonly TimeSpan FailureBackoff = TimeSpan.FromMilliseconds(100);

    private readonly Socket _listener;
    private readonly Func<Socket, bool> _tryAdmit;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _running = Task.CompletedTask;

    /// <param name="listener">A bound, listening socket; the loop owns it from now on.</param>
    /// <param name="tryAdmit">Takes ownership of the client and returns true, or returns false to have it refused.</param>
    /// <param name="logger">Receives refusals and accept failures.</param>
    public AcceptLoop(Socket listener, Func<Socket, bool> tryAdmit, ILogger logger)
    {
        _listener = listener;
        _tryAdmit = tryAdmit;
        _logger = logger;
    }

    public void Start() => _running = RunAsync();

    /// <summary>Closes the listener and completes once no client can be admitted any more.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _running.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        var stopping = _stopping.Token;
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception ex)
            {
                // Back off instead of spinning on a failure that the next attempt would repeat at once.
                Log.AcceptFailed(_logger, ex);
                try
                {
                    await Task.Delay(FailureBackoff, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            try
            {
                if (stopping.IsCancellationRequested || !_tryAdmit(client))
                {
                    Log.Refused(_logger, client.RemoteEndPoint);
                    client.ResetAndDispose();
                }
            }
            catch (Exception ex)
            {
                // Never let one connection stop the accept loop.
                Log.AcceptFailed(_logger, ex);
                client.ResetAndDispose();
            }
        }
    }
}
