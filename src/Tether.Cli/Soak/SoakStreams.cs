using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Tether.Cli.Soak;

/// <summary>The checkers of every stream of a soak (one per client and direction), and the client ids that go with them.</summary>
internal sealed class SoakStreams
{
    private readonly string _clientIdPrefix;

    public SoakStreams(int clients, string clientIdPrefix)
    {
        _clientIdPrefix = clientIdPrefix;
        Up = [.. Enumerable.Range(0, clients).Select(_ => new StreamChecker())];
        Down = [.. Enumerable.Range(0, clients).Select(_ => new StreamChecker())];
    }

    public int Count => Up.Count;

    public IReadOnlyList<StreamChecker> Up { get; }

    public IReadOnlyList<StreamChecker> Down { get; }

    /// <summary>The client id soak client <paramref name="index"/> presents, which the server pushes to.</summary>
    public string ClientId(int index) => _clientIdPrefix + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The stream <paramref name="message"/> belongs to, if it names a client of this run in the given direction.</summary>
    public bool TryGet(SoakMessage message, SoakDirection direction, [NotNullWhen(true)] out StreamChecker? checker)
    {
        checker = message.Direction == direction && message.Client < Count
            ? (direction == SoakDirection.Up ? Up : Down)[message.Client]
            : null;
        return checker is not null;
    }
}
