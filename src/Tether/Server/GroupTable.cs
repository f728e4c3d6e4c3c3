namespace Tether.Server;

/// <summary>
/// Group membership held in memory, both ways (group → client ids, client id → groups), in side tables keyed by client
/// id so that a connection in no group costs nothing. A single node keeps every membership here; a cluster node keeps
/// only those of its connected clients (Redis has the rest).
/// </summary>
internal sealed class GroupTable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, HashSet<string>> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _groups = new(StringComparer.Ordinal);

    /// <summary>Adds a membership; true when the group had no member here before (a cluster node subscribes then).</summary>
    public bool Add(string clientId, string group)
    {
        lock (_lock)
        {
            if (!_groups.TryGetValue(clientId, out var groups))
            {
                _groups[clientId] = groups = new HashSet<string>(StringComparer.Ordinal);
            }

            groups.Add(group);
            if (!_members.TryGetValue(group, out var members))
            {
                _members[group] = members = new HashSet<string>(StringComparer.Ordinal);
            }

            return members.Add(clientId) && members.Count == 1;
        }
    }

    /// <summary>Removes a membership; true when the group has no member here any more.</summary>
    public bool Remove(string clientId, string group)
    {
        lock (_lock)
        {
            if (_groups.TryGetValue(clientId, out var groups) && groups.Remove(group) && groups.Count == 0)
            {
                _groups.Remove(clientId);
            }

            return RemoveMember(group, clientId);
        }
    }

    /// <summary>Forgets a client id's memberships; returns the groups left with no member here.</summary>
    public List<string> RemoveClient(string clientId)
    {
        var emptied = new List<string>();
        lock (_lock)
        {
            if (!_groups.Remove(clientId, out var groups))
            {
                return emptied;
            }

            foreach (var group in groups)
            {
                if (RemoveMember(group, clientId))
                {
                    emptied.Add(group);
                }
            }
        }

        return emptied;
    }

    /// <summary>A snapshot of a client id's groups.</summary>
    public string[] GroupsOf(string clientId)
    {
        lock (_lock)
        {
            return _groups.TryGetValue(clientId, out var groups) ? [.. groups] : [];
        }
    }

    /// <summary>A snapshot of a group's members.</summary>
    public string[] MembersOf(string group)
    {
        lock (_lock)
        {
            return _members.TryGetValue(group, out var members) ? [.. members] : [];
        }
    }

    /// <summary>True while the group has a member here.</summary>
    public bool HasMembers(string group)
    {
        lock (_lock)
        {
            return _members.ContainsKey(group);
        }
    }

    /// <summary>A snapshot of the groups with a member here.</summary>
    public string[] Groups()
    {
        lock (_lock)
        {
            return [.. _members.Keys];
        }
    }

    private bool RemoveMember(string group, string clientId)
    {
        if (_members.TryGetValue(group, out var members) && members.Remove(clientId) && members.Count == 0)
        {
            _members.Remove(group);
            return true;
        }

        return false;
    }
}
