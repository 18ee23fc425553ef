package dev.locksmith.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRequest;

/**
 * The one simulated backend shared by every client: a {@link MemoryLockProvider} on master time, that
 * can restart and lose every lease.
 *
 * <p><b>Tokens across a restart.</b> The memory provider's counter starts at 0 in a new instance. A real
 * backend must keep fencing tokens increasing across a restart (the Redis provider seeds its counter from
 * the server's time); this backend models that by adding, after each restart, the largest token issued
 * before it to every token the new instance issues ({@link #tokenBase}). Expiry is decided by master time.
 *
 * <p>It records every grant applied (in order), with the client and TTL that created the lease, which the
 * invariant checker reads. Not thread-safe beyond what the memory provider gives: the simulation is
 * single-threaded.
 */
public final class SimBackend {

	/** One lease granted on the backend, as the backend applied it. */
	public record GrantRecord(int epoch, String key, String leaseId, LeaseType type, long token, int client,
			Duration ttl, long grantedAtMaster, long opIndex) {
	}

	private final SimTime time;

	private MemoryLockProvider memory;

	private int epoch;

	private long tokenBase;

	private long maxToken;

	private final List<GrantRecord> grants = new ArrayList<>();

	private final Map<String, GrantRecord> byLeaseId = new HashMap<>();

	private long restartedAtMaster = Long.MIN_VALUE;

	/** Whether a restart seeds tokens above the old ones (false only to show that invariant 2 can fail). */
	boolean seedTokensOnRestart = true;

	/**
	 * Creates a backend on {@code time}.
	 * @param time master time
	 */
	public SimBackend(SimTime time) {
		this.time = time;
		this.memory = new MemoryLockProvider(time);
	}

	/**
	 * Returns the current instance (replaced by a restart).
	 * @return the memory provider
	 */
	public MemoryLockProvider memory() {
		return this.memory;
	}

	/**
	 * Returns the number of restarts so far.
	 * @return the epoch
	 */
	public int epoch() {
		return this.epoch;
	}

	/**
	 * Returns master time of the last restart, or {@code Long.MIN_VALUE}.
	 * @return the time
	 */
	public long restartedAtMaster() {
		return this.restartedAtMaster;
	}

	/**
	 * Restarts the backend: every lease is lost; tokens continue above every token issued before.
	 */
	public void restart() {
		this.memory = new MemoryLockProvider(this.time);
		this.tokenBase = this.seedTokensOnRestart ? this.maxToken : 0;
		this.epoch++;
		this.restartedAtMaster = this.time.nanoTime();
	}

	/**
	 * Applies an acquisition and records a new grant.
	 * @param request the request
	 * @param client the calling client
	 * @param opIndex the operation being run
	 * @return the grant, with the token mapped above earlier epochs
	 */
	public Grant acquire(LeaseRequest request, int client, long opIndex) {
		Grant grant = this.memory.acquire(request);
		if (!grant.isGranted()) {
			return grant;
		}
		long token = grant.fencingToken() + this.tokenBase;
		GrantRecord earlier = this.byLeaseId.get(request.leaseId());
		boolean resent = earlier != null && earlier.epoch == this.epoch && earlier.token == token
				&& earlier.key.equals(request.key());
		if (!resent) {
			GrantRecord record = new GrantRecord(this.epoch, request.key(), request.leaseId(), request.type(), token,
					client, request.ttl(), this.time.nanoTime(), opIndex);
			this.grants.add(record);
			this.byLeaseId.put(request.leaseId(), record);
		}
		this.maxToken = Math.max(this.maxToken, token);
		return Grant.granted(token);
	}

	/**
	 * Returns every grant in the order the backend applied them.
	 * @return the grants
	 */
	public List<GrantRecord> grants() {
		return this.grants;
	}

	/**
	 * Returns the grant that created a lease id, or null.
	 * @param leaseId the lease id
	 * @return the record
	 */
	public GrantRecord grantOf(String leaseId) {
		return this.byLeaseId.get(leaseId);
	}

	/**
	 * Reads the live leases on a key with their expiry in master time, straight from the backend (no
	 * latency, no fault: this is the checker's omniscient view).
	 * @param key the backend key
	 * @return the leases
	 */
	public List<BackendLease> leases(String key) {
		long now = this.time.nanoTime();
		List<BackendLease> result = new ArrayList<>();
		for (LeaseInfo info : this.memory.inspect(key).leases()) {
			long expires = now + Duration.between(this.time.now(), info.expiresAt()).toNanos();
			result.add(new BackendLease(key, info.leaseId(), info.type(), info.permits(),
					info.fencingToken() + this.tokenBase, expires));
		}
		return result;
	}

}
