namespace Tether.Transport;

/// <summary>Told (once, from the draining thread) when a send fails: the owner ends its connection.</summary>
internal interface ISendFailureObserver
{
    void OnSendFailed(Exception exception);
}
