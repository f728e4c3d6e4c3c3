using Tether.Sessions;

namespace Tether.Server;

/// <summary>
/// Ends sessions for good on the server: takes a lost session out of the <see cref="SessionRegistry"/> (which remembers
/// why, for a late resume), counts and logs it, and tells <see cref="TetherServerHandler.OnSessionLostAsync"/> on a
/// pool thread, so the code that lost the session never waits for the application.
/// </summary>
internal sealed class SessionLossReporter
{
    private readonly TetherServer _server;

    public SessionLossReporter(TetherServer server) => _server = server;

    /// <summary>Discards a session: it accepts nothing more, a resume learns why, and the handler hears of it (once).</summary>
    public void Lose(TetherSession session, SessionLostReason reason, string description, int refusedMessages)
    {
        var info = session.Core.MarkLost(reason, session.ClientId, null, description, keepPayloads: false, out _);
        if (!_server.Sessions.Remove(session, info.Reason, info.UnacknowledgedSent + refusedMessages))
        {
            return;
        }

        session.Retire();
        if (reason == SessionLostReason.Expired && info.UnacknowledgedSent == 0 && refusedMessages == 0)
        {
            // The client left and never came back, and nothing it was sent is missing: the session ended, nothing was
            // lost. (A late resume still hears EXPIRED with a lost count of 0.) Under churn this is the common case.
            _server.Metrics.SessionsExpired.Add(1);
            _server.Log.SessionExpired(info);
            return;
        }

        Report(refusedMessages > 0 ? info with { UnacknowledgedSent = info.UnacknowledgedSent + refusedMessages } : info);
    }

    /// <summary>Counts, logs and hands a lost session to the handler, off the caller's thread.</summary>
    public void Report(SessionLostInfo info)
    {
        _server.Metrics.SessionsLost.Add(1, new KeyValuePair<string, object?>("reason", info.Reason.ToString()));
        _server.Log.SessionLost(info);
        ThreadPool.UnsafeQueueUserWorkItem(
            static state => _ = state.Reporter.RaiseAsync(state.Info),
            (Reporter: this, Info: info),
            preferLocal: false);
    }

    private async Task RaiseAsync(SessionLostInfo info)
    {
        try
        {
            await _server.Handler.OnSessionLostAsync(info).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _server.Log.SessionHandlerFailed(ex);
        }
    }
}
