namespace Tether.Cluster;

// Broadcasts: where the session is in the cluster's broadcast log, so that each broadcast is taken once, in order, and
// a session that moved catches up on what it missed before it takes new ones.
internal sealed partial class SessionRecord
{
    private ulong _broadcastCursor;
    private volatile bool _catchingUp;

    /// <summary>The position of the last broadcast the session took (0: none yet).</summary>
    public ulong BroadcastCursor => Volatile.Read(ref _broadcastCursor);

    /// <summary>
    /// Starts the session at <paramref name="cursor"/> in the broadcast log and holds live broadcasts back until the
    /// broadcast feed has caught it up (<see cref="EndCatchUp"/>).
    /// </summary>
    public void BeginCatchUp(ulong cursor)
    {
        Volatile.Write(ref _broadcastCursor, cursor);
        _catchingUp = true;
    }

    /// <summary>The feed caught the session up: live broadcasts are taken again.</summary>
    public void EndCatchUp() => _catchingUp = false;

    /// <summary>
    /// Whether the session takes broadcast <paramref name="id"/>: not while catching up, and only past its cursor (a
    /// broadcast is visited by one thread at a time, so the cursor needs no lock).
    /// </summary>
    public bool TakeBroadcast(ulong id)
    {
        if (_catchingUp || id <= Volatile.Read(ref _broadcastCursor))
        {
            return false;
        }

        Volatile.Write(ref _broadcastCursor, id);
        return true;
    }
}
