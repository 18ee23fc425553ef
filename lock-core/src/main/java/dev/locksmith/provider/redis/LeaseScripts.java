package dev.locksmith.provider.redis;

/**
 * The Lua scripts behind every lease operation, one atomic script per operation. Expiry is computed from
 * the server's {@code TIME}, never from the caller's clock.
 *
 * <p><b>Data layout</b> for a backend key {@code K}:
 * <ul>
 * <li>{@code {K}} is a hash with one field per live lease: lease id &rarr;
 * {@code expiresAtMs|token|lockedAtMs|type|permits|owner|metadata} (owner and metadata URL-encoded). The
 * hash's own {@code PEXPIRE} is the latest expiry of its leases, so an abandoned key disappears by
 * itself; expired fields of a hash with several leases are purged by every script that reads it.</li>
 * <li>{@code {K}:fence} is the fencing counter. Each grant stores
 * {@code max(counter + 1, server time in microseconds)}, so a counter lost in a restart is re-seeded
 * above every token issued before (as long as the server clock did not step back). It expires one day
 * after the key's last grant (re-seeded the same way), so unused keys do not pile up.</li>
 * <li>{@code {K}:wait} exists while someone may be waiting for {@code K}: every denied acquisition sets it
 * to outlive the denial's retry hint by {@link #WAIT_FLAG_SLACK_MILLIS}, so it lasts until the waiter's
 * next attempt renews it. A release publishes only when it exists, so releases that nobody waits for
 * cost no message to any subscriber.</li>
 * <li>{@code {K}:q} is the FIFO queue of exclusive waiters (a list of lease ids, oldest first) and
 * {@code {K}:qd} their entries: lease id &rarr; {@code deadlineMs|ttl|owner|metadata}. A waiting
 * acquisition is queued by its attempts (the provider says which attempts wait) and every attempt moves
 * its deadline to now + {@link #QUEUE_ENTRY_MILLIS}; a queued waiter's denial hints at most
 * {@link #QUEUE_REFRESH_MILLIS}, so a live waiter re-sends well before its entry lapses. An entry whose
 * deadline passed (its waiter died or gave up without a word) is dropped when it reaches the head.</li>
 * </ul>
 * <b>Hand-off.</b> A release (or force release) that leaves the key free hands it, in the same script, to
 * the head of the queue: the lease is stored under the waiter's lease id with the next fencing token and
 * a short claim expiry ({@link #CLAIM_MILLIS}, or the waiter's TTL if shorter), and the hand-off message
 * {@code \u0001<length of lease id>:<lease id><key>} is published, which wakes only that waiter. The
 * waiter claims the lease by re-sending its attempt (the idempotent path below sets the full TTL); a
 * waiter that died never claims, so its lease lapses after the claim time. While the queue has a live
 * head, a free key is granted to the head only.
 *
 * <p><b>Readers and a queued writer.</b> Readers are not queued, but while the queue has a live head no new
 * read lease is granted (writer preference): readers inside go on (a re-sent attempt of theirs is granted,
 * renewals work), the last one's release hands the key to the head, and the readers held back are woken by
 * the plain release message that follows when no writer is left in the queue (the last writer's release,
 * or a writer leaving the queue). So a stream of readers cannot starve a queued writer. A reader held back
 * is told to retry by the time the head's entry lapses plus {@link #CLAIM_MILLIS}, so a queued writer that
 * died holds new readers back at most {@link #QUEUE_ENTRY_MILLIS} after its last attempt, plus
 * {@link #CLAIM_MILLIS} if the key was handed to it meanwhile. A read nested in a live read of the same
 * thread (lease id {@code <outer lease id>:<n>}, given by the engine) is not held back: the thread would
 * wait for the writer, which waits for the thread's outer read. Permit leases are not held back: only write
 * waiters are queued.
 *
 * <p>The hash tag {@code {K}} puts all these keys in one Redis Cluster slot.
 */
final class LeaseScripts {

	/**
	 * How long a fencing counter outlives the last grant on its key (one day), so keys that are no longer
	 * used do not stay in Redis forever. A counter that expired is re-seeded from the server clock, a day
	 * or more after its last token, so tokens still increase.
	 */
	static final long FENCE_IDLE_MILLIS = 24 * 60 * 60 * 1000L;

	/**
	 * How long the wait flag outlives a denial's retry hint (two seconds): a waiter retries when the hint is
	 * up, and its retry, if denied, renews the flag. A waiter later than that still retries; it only misses
	 * the wake-up of a release in between and waits for its hint instead.
	 */
	static final long WAIT_FLAG_SLACK_MILLIS = 2_000L;

	/**
	 * How long a lease handed to the head of the queue waits for its waiter to claim it (one second), at
	 * most: a dead waiter blocks the key no longer than this.
	 */
	static final long CLAIM_MILLIS = 1_000L;

	/** How long a queue entry lives after its waiter's last attempt (three seconds). */
	static final long QUEUE_ENTRY_MILLIS = 3_000L;

	/**
	 * The longest retry hint a queued waiter gets (400 ms), so that it re-sends (refreshing its entry, or
	 * claiming a hand-off whose message it missed) well within {@link #CLAIM_MILLIS}.
	 */
	static final long QUEUE_REFRESH_MILLIS = 400L;

	/** Marks a hand-off message on the release channel (a plain message is a released key). */
	static final char HAND_OFF_MARK = '\u0001';

	/** Reads the server time in ms ({@code now}) and µs ({@code nowUs}). */
	private static final String NOW = """
			local t = redis.call('TIME')
			local nowUs = tonumber(t[1]) * 1000000 + tonumber(t[2])
			local now = math.floor(nowUs / 1000)
			""";

	/**
	 * {@code settle(key, now)}: purges expired leases of a hash and sets its expiry to the latest live
	 * lease's. Deleting the last field deletes the key.
	 */
	private static final String SETTLE = """
			local function settle(key, now)
			  local all = redis.call('HGETALL', key)
			  local latest = 0
			  for i = 1, #all, 2 do
			    local exp = tonumber(string.match(all[i + 1], '^(%d+)'))
			    if exp <= now then
			      redis.call('HDEL', key, all[i])
			    elseif exp > latest then
			      latest = exp
			    end
			  end
			  if latest > 0 then
			    redis.call('PEXPIRE', key, latest - now)
			  end
			end
			""";

	/**
	 * Publishes {@code message} on {@code channel}: with {@code sharded} = {@code '1'} (Redis Cluster) by
	 * {@code SPUBLISH} on the key's shard channel, which is in the key's slot, so only that master carries
	 * it; a server without sharded pub/sub (before Redis 7) refuses it, which must not fail the release that
	 * already happened, hence {@code pcall}. Otherwise by the classic {@code PUBLISH}.
	 */
	private static final String PUBLISH = """
			local function publish(channel, message, sharded)
			  if sharded == '1' then
			    redis.pcall('SPUBLISH', channel, message)
			  else
			    redis.call('PUBLISH', channel, message)
			  end
			end
			""";

	/**
	 * {@code nextToken(fenceKey, nowUs, ttl)}: the next fencing token of a key, stored in its counter;
	 * returned as text. {@code queueHead(queue, entries, now)}: drops lapsed entries at the head of the queue
	 * and returns the live head's lease id and entry, or nil. {@code handOff(...)}: gives a free key to the
	 * queue's live head (see the class comment); returns whether it did.
	 */
	private static final String QUEUE = "local CLAIM_MS = " + CLAIM_MILLIS + "\nlocal FENCE_IDLE_MS = "
			+ FENCE_IDLE_MILLIS + "\n" + """
			local function nextToken(fenceKey, nowUs, ttl)
			  local token = nowUs
			  local last = redis.call('GET', fenceKey)
			  if last then
			    last = tonumber(last) + 1
			    if last > token then token = last end
			  end
			  local ts = string.format('%.0f', token)
			  redis.call('SET', fenceKey, ts, 'PX', FENCE_IDLE_MS + ttl)
			  return ts
			end
			local function queueHead(queue, entries, now)
			  while true do
			    local head = redis.call('LINDEX', queue, 0)
			    if not head then return nil end
			    local e = redis.call('HGET', entries, head)
			    if e and tonumber(string.match(e, '^(%d+)')) > now then return head, e end
			    redis.call('LPOP', queue)
			    if e then redis.call('HDEL', entries, head) end
			  end
			end
			local function handOff(hash, fenceKey, queue, entries, now, nowUs, channel, key, sharded)
			  local head, e = queueHead(queue, entries, now)
			  if not head then return false end
			  redis.call('LPOP', queue)
			  redis.call('HDEL', entries, head)
			  local ttl, tail = string.match(e, '^%d+|(%d+)|(.*)$')
			  ttl = math.min(tonumber(ttl), CLAIM_MS)
			  local ts = nextToken(fenceKey, nowUs, ttl)
			  redis.call('HSET', hash, head, string.format('%.0f|%s|%.0f|W|1|', now + ttl, ts, now) .. tail)
			  redis.call('PEXPIRE', hash, ttl)
			  publish(channel, string.char(1) .. string.len(head) .. ':' .. head .. key, sharded)
			  return true
			end
			""";

	/**
	 * Acquire. KEYS: lease hash, fencing counter, wait flag, queue, queue entries. ARGV: lease id, type
	 * ({@code W}, {@code R} or {@code P}), ttl ms, permits, limit, encoded owner and metadata, {@code 1} if
	 * this attempt waits (a write attempt is then queued when denied) or {@code 0}, release channel (the key's
	 * shard channel when sharded), backend key, sharded ({@code '1'} or {@code '0'}). Returns the fencing token
	 * (positive) when granted, or {@code -1 - hintMs} when denied, where the hint is how long until the
	 * blocking leases expire (for a queued waiter at most {@link #QUEUE_REFRESH_MILLIS}); a denial also sets
	 * the wait flag to last at least the hint plus the slack. A write attempt is denied while the queue has
	 * a live head other than itself, and a read attempt while it has any live head, even on a free key; a
	 * free key is then handed to that head (as by a release), so a head that died blocks it for the claim
	 * time only. A read attempt held back by the queue is told to retry by the time the head's entry lapses
	 * plus {@link #CLAIM_MILLIS}, or earlier if the leases blocking it expire earlier.
	 *
	 * <p>Idempotent per lease id: when the hash already holds a live lease with this id, type and permit
	 * count (a re-sent attempt whose first reply was lost, or a waiter claiming the key handed to it), its
	 * expiry is set to now + ttl and its own token is returned; nothing else changes, so no permit or read
	 * share is taken twice. (A live lease with the same id but another type or count is treated like any
	 * other lease: it blocks or counts.)
	 */
	static final LuaScript ACQUIRE = new LuaScript("acquire", NOW + SETTLE + PUBLISH + QUEUE + "local WAIT_SLACK_MS = "
			+ WAIT_FLAG_SLACK_MILLIS + "\nlocal QUEUE_MS = " + QUEUE_ENTRY_MILLIS + "\nlocal REFRESH_MS = "
			+ QUEUE_REFRESH_MILLIS + "\n" + """
			local typ = ARGV[2]
			local ttl = tonumber(ARGV[3])
			local mine = redis.call('HGET', KEYS[1], ARGV[1])
			if mine then
			  local exp, tok, lt, lp = string.match(mine, '^(%d+)|(%d+)|%d+|(%a)|(%d+)|')
			  if tonumber(exp) > now and lt == typ and lp == ARGV[4] then
			    redis.call('HSET', KEYS[1], ARGV[1], string.format('%.0f', now + ttl) .. string.sub(mine, #exp + 1))
			    settle(KEYS[1], now)
			    return tonumber(tok)
			  end
			end
			local latest = 0
			local blocked = false
			local free = 0
			if redis.call('EXISTS', KEYS[1]) == 1 then
			  local all = redis.call('HGETALL', KEYS[1])
			  local hard = 0
			  local used = 0
			  local permits = {}
			  for i = 1, #all, 2 do
			    local exp, lt, lp = string.match(all[i + 1], '^(%d+)|%d+|%d+|(%a)|(%d+)|')
			    exp = tonumber(exp)
			    if exp <= now then
			      redis.call('HDEL', KEYS[1], all[i])
			    else
			      if exp > latest then latest = exp end
			      if typ == 'W' or lt ~= typ then
			        if exp > hard then hard = exp end
			      elseif typ == 'P' then
			        used = used + tonumber(lp)
			        permits[#permits + 1] = { exp, tonumber(lp) }
			      end
			    end
			  end
			  local excess = used + tonumber(ARGV[4]) - tonumber(ARGV[5])
			  if hard > 0 or excess > 0 then
			    blocked = true
			    free = hard
			    if excess > 0 then
			      table.sort(permits, function(a, b) return a[1] < b[1] end)
			      for _, p in ipairs(permits) do
			        excess = excess - p[2]
			        if excess <= 0 then
			          if p[1] > free then free = p[1] end
			          break
			        end
			      end
			    end
			  end
			end
			local hint = math.max(free - now, 0)
			if typ == 'W' then
			  local head = queueHead(KEYS[4], KEYS[5], now)
			  if head and head ~= ARGV[1] then
			    if not blocked then
			      -- free, yet the head has not taken it (its holder expired instead of releasing): hand it
			      -- over now, so a head that died blocks the key for the claim time, not its entry's life
			      handOff(KEYS[1], KEYS[2], KEYS[4], KEYS[5], now, nowUs, ARGV[8], ARGV[9], ARGV[10])
			      hint = CLAIM_MS
			    end
			    blocked = true
			    hint = math.max(hint, REFRESH_MS)
			  elseif head and not blocked then
			    redis.call('LPOP', KEYS[4])
			    redis.call('HDEL', KEYS[5], head)
			  end
			  if blocked and ARGV[7] == '1' then
			    if redis.call('HSET', KEYS[5], ARGV[1], string.format('%.0f|%s|', now + QUEUE_MS, ARGV[3]) .. ARGV[6]) == 1 then
			      redis.call('RPUSH', KEYS[4], ARGV[1])
			    end
			    redis.call('PEXPIRE', KEYS[4], QUEUE_MS)
			    redis.call('PEXPIRE', KEYS[5], QUEUE_MS)
			    hint = math.min(hint, REFRESH_MS)
			  end
			elseif typ == 'R' then
			  -- writer preference: no new reader while a live writer waits (readers inside go on, above)
			  local head, e = queueHead(KEYS[4], KEYS[5], now)
			  -- except a read nested in a live read of the same thread ('<outer lease id>:<n>', see LockEngine):
			  -- held back, the thread would wait for the writer, which waits for the thread's outer read
			  local outer = head and string.match(ARGV[1], '^(.+):%w+$')
			  local ov = outer and redis.call('HGET', KEYS[1], outer)
			  if ov and string.match(ov, '^%d+|%d+|%d+|R|') then head = nil end
			  if head then
			    if latest == 0 then
			      -- free, yet the head has not taken it: hand it over, as a writer's attempt does
			      handOff(KEYS[1], KEYS[2], KEYS[4], KEYS[5], now, nowUs, ARGV[8], ARGV[9], ARGV[10])
			      hint = CLAIM_MS
			    else
			      -- retry by the time a dead head's entry has lapsed and a claim handed to it meanwhile too
			      local ahead = tonumber(string.match(e, '^(%d+)')) - now + CLAIM_MS
			      if not blocked or ahead < hint then hint = ahead end
			    end
			    blocked = true
			  end
			end
			if blocked then
			  if redis.call('PTTL', KEYS[3]) < hint + WAIT_SLACK_MS then
			    redis.call('SET', KEYS[3], '1', 'PX', hint + WAIT_SLACK_MS)
			  end
			  return -1 - hint
			end
			local ts = nextToken(KEYS[2], nowUs, ttl)
			local exp = now + ttl
			redis.call('HSET', KEYS[1], ARGV[1],
			  string.format('%.0f|%s|%.0f|%s|%s|', exp, ts, now, typ, ARGV[4]) .. ARGV[6])
			if exp > latest then latest = exp end
			redis.call('PEXPIRE', KEYS[1], latest - now)
			return tonumber(ts)
			""");

	/**
	 * Release. KEYS: lease hash, wait flag, fencing counter, queue, queue entries. ARGV: lease id, release
	 * channel (the key's shard channel when sharded), backend key, sharded ({@code '1'} or {@code '0'}).
	 * Takes the lease id out of the queue (a waiter that gives up), then deletes the lease. Returns 1 if the
	 * lease was live, 0 otherwise. When the key is then free and the queue has a live head, hands the key to
	 * it (publishing the hand-off, and then the key too when no live head is left and the wait flag is set,
	 * which wakes the readers and permit waiters, so a waiter that never claims cannot leave them asleep
	 * until the released lease's expiry); otherwise publishes the backend key on the channel when the lease was
	 * live and the wait flag is set. A waiter that left the queue without a lease publishes the key when
	 * no live head is left and the wait flag is set, which wakes the readers it held back.
	 */
	static final LuaScript RELEASE = new LuaScript("release", NOW + SETTLE + PUBLISH + QUEUE + """
			local left = redis.call('HDEL', KEYS[5], ARGV[1]) == 1
			if left then
			  redis.call('LREM', KEYS[4], 1, ARGV[1])
			end
			local v = redis.call('HGET', KEYS[1], ARGV[1])
			if not v then
			  -- a writer that gave up: the readers it held back may go on once no live writer waits
			  if left and redis.call('EXISTS', KEYS[2]) == 1 and not queueHead(KEYS[4], KEYS[5], now) then
			    publish(ARGV[2], ARGV[3], ARGV[4])
			  end
			  return 0
			end
			if redis.call('HLEN', KEYS[1]) == 1 then
			  redis.call('DEL', KEYS[1])
			else
			  redis.call('HDEL', KEYS[1], ARGV[1])
			  settle(KEYS[1], now)
			end
			local live = 1
			if tonumber(string.match(v, '^(%d+)')) <= now then live = 0 end
			if redis.call('EXISTS', KEYS[1]) == 0
			    and handOff(KEYS[1], KEYS[3], KEYS[4], KEYS[5], now, nowUs, ARGV[2], ARGV[3], ARGV[4]) then
			  -- no writer left queued: wake the readers and permit waiters too (they retry by the claim time), or
			  -- a waiter that died without claiming would leave them asleep until the old holder's TTL ran out
			  if redis.call('EXISTS', KEYS[2]) == 1 and not queueHead(KEYS[4], KEYS[5], now) then
			    publish(ARGV[2], ARGV[3], ARGV[4])
			  end
			  return live
			end
			if live == 1 and redis.call('EXISTS', KEYS[2]) == 1 then
			  publish(ARGV[2], ARGV[3], ARGV[4])
			end
			return live
			""");

	/**
	 * Release without the queue, for a cluster slot that is half moved, where the queue's keys (absent, or
	 * not yet moved) are not on the master that has the lease: a script naming them is refused with
	 * {@code TRYAGAIN}. KEYS: lease hash, wait flag. ARGV: as {@link #RELEASE}. Deletes the lease and
	 * publishes the backend key as {@link #RELEASE} does when nothing is handed off; a queued waiter then takes
	 * the free key by its next attempt (at most {@link #QUEUE_REFRESH_MILLIS} later), and a waiter that gave up
	 * leaves its entry to lapse.
	 */
	static final LuaScript RELEASE_UNQUEUED = new LuaScript("release-unqueued", NOW + SETTLE + PUBLISH + """
			local v = redis.call('HGET', KEYS[1], ARGV[1])
			if not v then return 0 end
			if redis.call('HLEN', KEYS[1]) == 1 then
			  redis.call('DEL', KEYS[1])
			else
			  redis.call('HDEL', KEYS[1], ARGV[1])
			  settle(KEYS[1], now)
			end
			if tonumber(string.match(v, '^(%d+)')) <= now then return 0 end
			if redis.call('EXISTS', KEYS[2]) == 1 then
			  publish(ARGV[2], ARGV[3], ARGV[4])
			end
			return 1
			""");

	/**
	 * Reduce a permit lease. KEYS: lease hash, wait flag. ARGV: lease id, permits to keep, release channel
	 * (the key's shard channel when sharded), backend key, sharded ({@code '1'} or {@code '0'}). Returns 1 if
	 * the lease is live and of type {@code P} (its count lowered to the argument if it was higher; never
	 * raised), 0 otherwise; publishes when permits were freed and the wait flag is set. Expiry, token and the
	 * rest of the value are kept. The lease stays, so the key is not free and nothing is handed off.
	 */
	static final LuaScript REDUCE_PERMITS = new LuaScript("reduce-permits", NOW + PUBLISH + """
			local v = redis.call('HGET', KEYS[1], ARGV[1])
			if not v then return 0 end
			local exp, head, lp, rest = string.match(v, '^(%d+)(|%d+|%d+|P|)(%d+)(|.*)$')
			if not exp or tonumber(exp) <= now then return 0 end
			if tonumber(lp) > tonumber(ARGV[2]) then
			  redis.call('HSET', KEYS[1], ARGV[1], exp .. head .. ARGV[2] .. rest)
			  if redis.call('EXISTS', KEYS[2]) == 1 then
			    publish(ARGV[3], ARGV[4], ARGV[5])
			  end
			end
			return 1
			""");

	/**
	 * Extend many leases. KEYS: lease hashes. ARGV: lease id and ttl ms for each key, in order. Returns one
	 * 1 (extended) or 0 (gone) per key. Setting the expiry may shorten a lease.
	 */
	static final LuaScript EXTEND = new LuaScript("extend", NOW + SETTLE + """
			local result = {}
			for i = 1, #KEYS do
			  local ok = 0
			  local v = redis.call('HGET', KEYS[i], ARGV[2 * i - 1])
			  if v then
			    local bar = string.find(v, '|', 1, true)
			    local ttl = tonumber(ARGV[2 * i])
			    if tonumber(string.sub(v, 1, bar - 1)) > now then
			      redis.call('HSET', KEYS[i], ARGV[2 * i - 1], string.format('%.0f', now + ttl) .. string.sub(v, bar))
			      ok = 1
			    end
			    if ok == 1 and redis.call('HLEN', KEYS[i]) == 1 then
			      redis.call('PEXPIRE', KEYS[i], ttl)
			    else
			      settle(KEYS[i], now)
			    end
			  end
			  result[i] = ok
			end
			return result
			""");

	/**
	 * Inspect. KEYS: lease hash. Returns the server time in ms followed by lease id and value of every live
	 * lease. Read-only. A key that is not a hash, or a field that is not a lease, is some other program's
	 * data that {@code list} found by its name: it is ignored, not an error.
	 */
	static final LuaScript INSPECT = new LuaScript("inspect", NOW + """
			local result = { string.format('%.0f', now) }
			if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return result end
			local all = redis.call('HGETALL', KEYS[1])
			for i = 1, #all, 2 do
			  local exp = string.match(all[i + 1], '^(%d+)|%d+|%d+|[WRP]|%d+|[^|]*|')
			  if exp and tonumber(exp) > now then
			    result[#result + 1] = all[i]
			    result[#result + 1] = all[i + 1]
			  end
			end
			return result
			""");

	/**
	 * Force release. KEYS: lease hash, fencing counter, queue, queue entries. ARGV: release channel (the
	 * key's shard channel when sharded), backend key, sharded ({@code '1'} or {@code '0'}). Deletes every
	 * lease; returns 1 if any was live. Hands the key to the queue's live head if there is one (publishing
	 * the hand-off), and publishes the key if any lease was live, unless a writer is left queued after the
	 * hand-off. The fencing counter is kept.
	 */
	static final LuaScript FORCE_RELEASE = new LuaScript("force-release", NOW + PUBLISH + QUEUE + """
			local all = redis.call('HGETALL', KEYS[1])
			local live = 0
			for i = 1, #all, 2 do
			  if tonumber(string.match(all[i + 1], '^(%d+)')) > now then live = live + 1 end
			end
			redis.call('DEL', KEYS[1])
			local handed = handOff(KEYS[1], KEYS[2], KEYS[3], KEYS[4], now, nowUs, ARGV[1], ARGV[2], ARGV[3])
			if live == 0 then return 0 end
			-- after a hand-off, the key too when no writer is left queued: readers and permit waiters retry by
			-- the claim time (as after a release)
			if not handed or not queueHead(KEYS[3], KEYS[4], now) then publish(ARGV[1], ARGV[2], ARGV[3]) end
			return 1
			""");

	private LeaseScripts() {
	}

}
