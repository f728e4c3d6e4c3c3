using System.Net;

namespace Tether.Client;

/// <summary>Picks the endpoint of each connection attempt; honours a server's alternate-endpoint hint once.</summary>
internal sealed class EndpointSelector
{
    private readonly IReadOnlyList<EndPoint> _endPoints;
    private readonly EndpointSelection _mode;
    private int _next;
    private EndPoint? _preferred;

    public EndpointSelector(IReadOnlyList<EndPoint> endPoints, EndpointSelection mode)
    {
        _endPoints = endPoints;
        _mode = mode;
    }

    public EndPoint Next()
    {
        if (_preferred is { } preferred)
        {
            _preferred = null;
            return preferred;
        }

        var endPoint = _endPoints[_next % _endPoints.Count];
        _next = (_next + 1) % _endPoints.Count;
        return endPoint;
    }

    /// <summary>A connection succeeded: failover goes back to the top of the list for the next outage.</summary>
    public void OnConnected()
    {
        if (_mode == EndpointSelection.Failover)
        {
            _next = 0;
        }
    }

    public void Prefer(EndPoint endPoint) => _preferred = endPoint;
}
