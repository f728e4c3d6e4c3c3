using System.Net;

namespace Tether.Client;

/// <summary>
/// Picks the endpoint of each connection attempt: the configured list (failover or round-robin), preceded by the
/// alternates a server's GOAWAY or CLOSE named, each tried once in the order given until a connection opens (protocol
/// section 14.2).
/// </summary>
internal sealed class EndpointSelector
{
    private readonly IReadOnlyList<EndPoint> _endPoints;
    private readonly EndpointSelection _mode;
    private readonly Queue<EndPoint> _alternates = new();
    private int _next;

    public EndpointSelector(IReadOnlyList<EndPoint> endPoints, EndpointSelection mode)
    {
        _endPoints = endPoints;
        _mode = mode;
    }

    public EndPoint Next()
    {
        if (_alternates.TryDequeue(out var alternate))
        {
            return alternate;
        }

        var endPoint = _endPoints[_next % _endPoints.Count];
        _next = (_next + 1) % _endPoints.Count;
        return endPoint;
    }

    /// <summary>A connection opened (WELCOME): alternates are forgotten; failover goes back to the top of the list.</summary>
    public void OnConnected()
    {
        _alternates.Clear();
        if (_mode == EndpointSelection.Failover)
        {
            _next = 0;
        }
    }

    /// <summary>
    /// The alternates of the GOAWAY or CLOSE that ended a connection or an attempt: a non-empty list replaces what is left
    /// of an earlier one; an empty one keeps it.
    /// </summary>
    public void UseAlternates(IReadOnlyList<EndPoint> alternates)
    {
        if (alternates.Count == 0)
        {
            return;
        }

        _alternates.Clear();
        foreach (var alternate in alternates)
        {
            _alternates.Enqueue(alternate);
        }
    }
}
