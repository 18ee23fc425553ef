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
 * </ul>
 * The hash tag {@code {K}} puts all three keys in one Redis Cluster slot.
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
	 * Acquire. KEYS: lease hash, fencing counter, wait flag. ARGV: lease id, type ({@code W}, {@code R} or
	 * {@code P}), ttl ms, permits, limit, encoded owner and metadata. Returns the fencing token (positive) when
	 * granted, or {@code -1 - hintMs} when denied, where the hint is how long until the blocking leases
	 * expire; a denial also sets the wait flag to last at least the hint plus the slack.
	 *
	 * <p>Idempotent per lease id: when the hash already holds a live lease with this id, type and permit
	 * count (a re-sent attempt whose first reply was lost), its expiry is set to now + ttl and its own token
	 * is returned; nothing else changes, so no permit or read share is taken twice. (A live lease with the
	 * same id but another type or count is treated like any other lease: it blocks or counts.)
	 */
	static final LuaScript ACQUIRE = new LuaScript("acquire", NOW + SETTLE + "local FENCE_IDLE_MS = "
			+ FENCE_IDLE_MILLIS + "\nlocal WAIT_SLACK_MS = " + WAIT_FLAG_SLACK_MILLIS + "\n" + """
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
			    local free = hard
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
			    local hint = math.max(free - now, 0)
			    if redis.call('PTTL', KEYS[3]) < hint + WAIT_SLACK_MS then
			      redis.call('SET', KEYS[3], '1', 'PX', hint + WAIT_SLACK_MS)
			    end
			    return -1 - hint
			  end
			end
			local token = nowUs
			local last = redis.call('GET', KEYS[2])
			if last then
			  last = tonumber(last) + 1
			  if last > token then token = last end
			end
			local ts = string.format('%.0f', token)
			redis.call('SET', KEYS[2], ts, 'PX', FENCE_IDLE_MS + ttl)
			local exp = now + ttl
			redis.call('HSET', KEYS[1], ARGV[1],
			  string.format('%.0f|%s|%.0f|%s|%s|', exp, ts, now, typ, ARGV[4]) .. ARGV[6])
			if exp > latest then latest = exp end
			redis.call('PEXPIRE', KEYS[1], latest - now)
			return token
			""");

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
	 * Release. KEYS: lease hash, wait flag. ARGV: lease id, release channel (the key's shard channel when
	 * sharded), backend key, sharded ({@code '1'} or {@code '0'}). Returns 1 if the lease was live, 0
	 * otherwise; publishes the backend key on the channel when the lease was live and the wait flag is set.
	 */
	static final LuaScript RELEASE = new LuaScript("release", NOW + SETTLE + PUBLISH + """
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
	 * (the key's shard channel when sharded), backend key, sharded ({@code '1'} or {@code '0'}). Returns 1 if the lease is live and of type {@code P} (its count lowered to the argument if
	 * it was higher; never raised), 0 otherwise; publishes when permits were freed and the wait flag is set.
	 * Expiry, token and the rest of the value are kept.
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
	 * Force release. KEYS: lease hash. ARGV: release channel (the key's shard channel when sharded), backend
	 * key, sharded ({@code '1'} or {@code '0'}). Deletes every lease; returns 1 (and publishes) if any was
	 * live. The fencing counter is kept.
	 */
	static final LuaScript FORCE_RELEASE = new LuaScript("force-release", NOW + PUBLISH + """
			local all = redis.call('HGETALL', KEYS[1])
			local live = 0
			for i = 1, #all, 2 do
			  if tonumber(string.match(all[i + 1], '^(%d+)')) > now then live = live + 1 end
			end
			redis.call('DEL', KEYS[1])
			if live == 0 then return 0 end
			publish(ARGV[1], ARGV[2], ARGV[3])
			return 1
			""");

	private LeaseScripts() {
	}

}
