namespace Tether.Cluster;

/// <summary>
/// The Lua scripts that change a session's keys (all under one client's hash tag, so each runs in one slot and
/// atomically). Every script a node runs for a session it owns checks the caller's session id, fence and ownership
/// first and answers <c>FENCED</c> on a mismatch (a node whose session was claimed elsewhere can never write for it
/// again) and <c>GONE</c> when the record is missing (Redis lost it).
/// </summary>
internal static class SessionScripts
{
    public const string Fenced = "FENCED";

    /// <summary>The answer of a write for a session whose record is not in Redis at all: Redis lost its data.</summary>
    public const string Gone = "GONE";

    // A push id is remembered with the message it brought, in the same script: a retried push is then recognised
    // wherever the session is (the new owner loads the list on claim), so a retry after a node's death never doubles.
    // The last 32 ids, for 60 s: longer than a sender retries (ScaleOutOptions.RemoteSendTimeout is at most 30 s).
    private const string RememberPush = """

        if @push ~= '' then
          redis.call('LPUSH', @pushes, @push)
          redis.call('LTRIM', @pushes, 0, 31)
          redis.call('PEXPIRE', @pushes, 60000)
        end
        """;

    private const string CheckOwner = """
        local h = redis.call('HMGET', @session, 'sid', 'fence', 'owner')
        if not h[1] then return 'GONE' end
        if h[1] ~= @sid or h[2] ~= @fence or h[3] ~= @node then return 'FENCED' end
        """;

    /// <summary>
    /// A new session: fence = the previous one's + 1 (so its old owner is fenced), owner = this node, empty log, and
    /// the broadcast log position it starts after.
    /// </summary>
    public static readonly NamedScript Create = new("""
        local fence = tonumber(redis.call('HGET', @session, 'fence') or '0') + 1
        redis.call('DEL', @session, @log, @tombstone, @pushes)
        redis.call('HSET', @session, 'sid', @sid, 'owner', @node, 'fence', fence, 'out', 0, 'acked', 0, 'in', 0, 'created', @now, 'bpos', @bpos)
        redis.call('SET', @sidKey, @cid)
        return fence
        """,
        ["session", "log", "tombstone", "pushes", "sidKey"],
        ["sid", "node", "now", "cid", "bpos"]);

    /// <summary>
    /// A reliable message: XADD it with id seq-0 and advance out (and remember its push id, if any; for a cluster
    /// broadcast, its position in the broadcast log: what a new owner catches up from).
    /// </summary>
    public static readonly NamedScript Append = new(CheckOwner + """

        redis.call('XADD', @log, @id, 'p', @payload)
        redis.call('HSET', @session, 'out', @seq)
        if @bpos ~= '' then redis.call('HSET', @session, 'bpos', @bpos) end
        """ + RememberPush + "\n" + """
        return 'OK'
        """,
        ["session", "log", "pushes"],
        ["sid", "fence", "node", "id", "payload", "seq", "push", "bpos"]);

    /// <summary>Write-behind of the receive position (in) and the client's ack (acked, and trim the log up to it).</summary>
    public static readonly NamedScript Sync = new(CheckOwner + """

        local cur = redis.call('HMGET', @session, 'in', 'acked')
        local inSeq = math.max(tonumber(cur[1]), tonumber(@inSeq))
        local acked = math.max(tonumber(cur[2]), tonumber(@acked))
        redis.call('HSET', @session, 'in', inSeq, 'acked', acked)
        redis.call('XTRIM', @log, 'MINID', acked + 1)
        return 'OK'
        """,
        ["session", "log"],
        ["sid", "fence", "node", "inSeq", "acked"]);

    /// <summary>
    /// The client left: final in/acked, owner = "", every key expires after the detached time to live, and a tombstone
    /// (living longer) tells a late resume EXPIRED with the count still unacknowledged.
    /// </summary>
    public static readonly NamedScript Release = new(CheckOwner + """

        local cur = redis.call('HMGET', @session, 'in', 'acked', 'out')
        local inSeq = math.max(tonumber(cur[1]), tonumber(@inSeq))
        local acked = math.max(tonumber(cur[2]), tonumber(@acked))
        redis.call('HSET', @session, 'in', inSeq, 'acked', acked, 'owner', '')
        redis.call('XTRIM', @log, 'MINID', acked + 1)
        redis.call('PEXPIRE', @session, @ttl)
        redis.call('PEXPIRE', @log, @ttl)
        redis.call('PEXPIRE', @sidKey, @tombstoneTtl)
        redis.call('SET', @tombstone, @sid .. '|Expired|' .. (tonumber(cur[3]) - acked), 'PX', @tombstoneTtl)
        return 'OK'
        """,
        ["session", "log", "tombstone", "sidKey"],
        ["sid", "fence", "node", "inSeq", "acked", "ttl", "tombstoneTtl"]);

    /// <summary>
    /// Resume: take the session (fence + 1, owner = this node; out = max(out, the client's last received)), tell its
    /// previous owner if another node holds it, and return its state and unacknowledged messages. Without a record:
    /// the tombstone, or UNKNOWN.
    /// </summary>
    public static readonly NamedScript Claim = new("""
        local h = redis.call('HMGET', @session, 'sid', 'owner', 'fence', 'out', 'acked', 'in', 'bpos')
        if h[1] ~= @sid then
          local t = redis.call('GET', @tombstone)
          if t then return {'LOST', t} end
          return {'UNKNOWN'}
        end
        local fence = tonumber(h[3]) + 1
        local out = math.max(tonumber(h[4]), tonumber(@peer))
        redis.call('HSET', @session, 'owner', @node, 'fence', fence, 'out', out)
        redis.call('PERSIST', @session)
        redis.call('PERSIST', @log)
        redis.call('PERSIST', @sidKey)
        redis.call('DEL', @tombstone)
        if h[2] ~= '' and h[2] ~= @node then
          redis.call('PUBLISH', @prefix .. ':node:{' .. h[2] .. '}:' .. 'sessions', @sid)
        end
        local entries = redis.call('XRANGE', @log, (tonumber(h[5]) + 1) .. '-0', '+')
        local pushes = redis.call('LRANGE', @pushes, 0, -1)
        return {'OK', tostring(fence), h[4], h[5], h[6], h[2], entries, pushes, h[7] or ''}
        """,
        ["session", "log", "tombstone", "pushes", "sidKey"],
        ["sid", "node", "peer", "prefix"]);

    /// <summary>The session is lost for good (a gap on resume): delete it and leave a tombstone with the reason.</summary>
    public static readonly NamedScript Lose = new(CheckOwner + """

        redis.call('DEL', @session, @log, @pushes)
        redis.call('SET', @tombstone, @sid .. '|' .. @reason .. '|' .. @lost, 'PX', @tombstoneTtl)
        redis.call('PEXPIRE', @sidKey, @tombstoneTtl)
        return 'OK'
        """,
        ["session", "log", "tombstone", "pushes", "sidKey"],
        ["sid", "fence", "node", "reason", "lost", "tombstoneTtl"]);

    /// <summary>
    /// The janitor found node @dead gone: a session it still owns is released as a detached one would be (fence + 1,
    /// owner = "", the keys and the sid expire, a tombstone for a late resume). Returns 1 when it did.
    /// </summary>
    public static readonly NamedScript Orphan = new("""
        local h = redis.call('HMGET', @session, 'sid', 'owner', 'fence', 'out', 'acked')
        if not h[1] or h[2] ~= @dead then return 0 end
        redis.call('HSET', @session, 'owner', '', 'fence', tonumber(h[3]) + 1)
        redis.call('PEXPIRE', @session, @ttl)
        redis.call('PEXPIRE', @log, @ttl)
        redis.call('PEXPIRE', @prefix .. ':sid:' .. h[1], @tombstoneTtl)
        redis.call('SET', @tombstone, h[1] .. '|Expired|' .. (tonumber(h[4]) - tonumber(h[5])), 'PX', @tombstoneTtl)
        return 1
        """,
        ["session", "log", "tombstone"],
        ["dead", "ttl", "tombstoneTtl", "prefix"]);

    /// <summary>
    /// A reliable message to a client connected nowhere: appended as out + 1 while no node owns the session, or while
    /// its owner is @dead (the sender found that node dead) or its owner's announcement expired, which then loses it: fence + 1, owner = "", and the keys
    /// expire as a detached session's do (its client resumes and claims it, or it goes). Returns the sequence number,
    /// NONE (no session), DUP (the session has this push already) or OWNED (a live node holds it: send through it).
    /// </summary>
    public static readonly NamedScript AppendDetached = new("""
        local h = redis.call('HMGET', @session, 'sid', 'owner', 'out', 'acked', 'fence')
        if not h[1] then return 'NONE' end
        if @push ~= '' and redis.call('LPOS', @pushes, @push) then return 'DUP' end
        if h[2] ~= '' then
          if h[2] ~= @dead and redis.call('EXISTS', @nodeKeyPrefix .. h[2] .. @nodeKeySuffix) == 1 then return 'OWNED' end
          redis.call('HSET', @session, 'owner', '', 'fence', tonumber(h[5]) + 1)
          redis.call('PEXPIRE', @session, @ttl)
          redis.call('PEXPIRE', @log, @ttl)
        end
        local seq = tonumber(h[3]) + 1
        redis.call('XADD', @log, seq .. '-0', 'p', @payload)
        redis.call('HSET', @session, 'out', seq)
        local ttl = redis.call('PTTL', @session)
        if ttl > 0 then redis.call('PEXPIRE', @log, ttl) end
        if redis.call('EXISTS', @tombstone) == 1 then
          redis.call('SET', @tombstone, h[1] .. '|Expired|' .. (seq - tonumber(h[4])), 'KEEPTTL')
        end
        """ + RememberPush + "\n" + """
        return seq
        """,
        ["session", "log", "tombstone", "pushes"],
        ["payload", "push", "dead", "nodeKeyPrefix", "nodeKeySuffix", "ttl"]);

    /// <summary>
    /// Re-creates, from the owner's memory, a session whose record Redis lost (it restarted without its data). KEYS:
    /// session, log, tombstone, sid key; ARGV: sid, fence, node, client id, acked, in, created, the sequence number of
    /// the first payload, then the payloads (consecutive sequence numbers). Without a record: the hash (owner = this
    /// node, its fence kept: the owner and session id already tell it from any other node) and the sid key, unless a
    /// tombstone says the session was ended on purpose (LOST). With a record of this node and fence (an earlier chunk,
    /// or a restore that ran already): only the payloads after its out are added, so a restore may run twice and a
    /// restore in chunks adds each message once. A record of anyone else: FENCED.
    /// </summary>
    public const string Restore = """
        local h = redis.call('HMGET', KEYS[1], 'sid', 'fence', 'owner', 'out')
        local out
        if h[1] then
          if h[1] ~= ARGV[1] or h[2] ~= ARGV[2] or h[3] ~= ARGV[3] then return 'FENCED' end
          out = tonumber(h[4])
        else
          local t = redis.call('GET', KEYS[3])
          if t and string.sub(t, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then return 'LOST' end
          redis.call('DEL', KEYS[2], KEYS[3])
          redis.call('HSET', KEYS[1], 'sid', ARGV[1], 'owner', ARGV[3], 'fence', ARGV[2], 'out', ARGV[5], 'acked', ARGV[5], 'in', ARGV[6], 'created', ARGV[7])
          redis.call('SET', KEYS[4], ARGV[4])
          out = tonumber(ARGV[5])
        end
        local seq = tonumber(ARGV[8])
        for i = 9, #ARGV do
          if seq > out then
            redis.call('XADD', KEYS[2], seq .. '-0', 'p', ARGV[i])
            out = seq
          end
          seq = seq + 1
        end
        redis.call('HSET', KEYS[1], 'out', out)
        return 'OK'
        """;
}
