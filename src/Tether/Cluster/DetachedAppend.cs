namespace Tether.Cluster;

/// <summary>What <see cref="SessionStore.TrySendToDetachedAsync"/> did.</summary>
internal enum DetachedAppend
{
    /// <summary>Appended to the session in the store: the client gets it on resume.</summary>
    Appended,

    /// <summary>The session has this push already (an earlier attempt stored it).</summary>
    Duplicate,

    /// <summary>A node holds the session: the message must go through that node.</summary>
    Owned,

    /// <summary>The client id has no session in the store.</summary>
    NoSession,
}
