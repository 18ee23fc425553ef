package dev.locksmith.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.locksmith.LeaseType;
import dev.locksmith.LockInfo;
import dev.locksmith.LockPage;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.spi.ReleaseSubscription;
import dev.locksmith.spi.Renewal;

/**
 * One client's connection to the {@link SimBackend}: every call takes simulated latency (master time
 * moves by a request delay before the backend applies it and a reply delay after), and may fail
 * <em>before</em> the backend applied it (a timeout of {@link #TIMEOUT_NANOS}) or lose its reply
 * <em>after</em> the backend applied it. Both failures throw {@link LockProviderUnavailableException},
 * as a real provider does on a reply timeout. A subscription's {@code await} is a simulated sleep: master
 * time moves in ticks while every client's renewals run ({@link Simulation#sleep}).
 */
public final class SimProvider implements LockProvider {

	/** Master time a failed call takes (the caller's reply timeout). */
	static final long TIMEOUT_NANOS = 50_000_000L;

	/** What the backend did with one call. */
	public enum Result {
		/** Applied, the answer was true or a grant. */
		TRUE,
		/** Applied, the answer was false or a denial. */
		FALSE,
		/** Not applied: the call failed before reaching the backend. */
		FAILED_BEFORE,
		/** Applied, but the reply was lost: the caller got an exception. */
		REPLY_LOST
	}

	/** One call as the backend saw it. */
	public record Call(long seq, String method, String leaseId, Result result, long opIndex) {
	}

	private final SimNetwork sim;

	private final int client;

	private int failNext;

	private int loseReplyNext;

	private boolean lastCallFailed;

	private long faults;

	private final List<Call> calls = java.util.Collections.synchronizedList(new ArrayList<>());

	SimProvider(SimNetwork sim, int client) {
		this.sim = sim;
		this.client = client;
	}

	/**
	 * Makes the next {@code count} calls fail before the backend applies them.
	 * @param count how many
	 */
	public synchronized void failNext(int count) {
		this.failNext += count;
	}

	/**
	 * Makes the next {@code count} calls lose their reply after the backend applied them.
	 * @param count how many
	 */
	public synchronized void loseReplyNext(int count) {
		this.loseReplyNext += count;
	}

	/**
	 * Returns whether this client's most recent call failed (before or after applying).
	 * @return true if it failed
	 */
	public synchronized boolean lastCallFailed() {
		return this.lastCallFailed;
	}

	/**
	 * Returns how many calls of this client have failed so far.
	 * @return the count
	 */
	public synchronized long faults() {
		return this.faults;
	}

	/**
	 * Returns every call of this client.
	 * @return the calls
	 */
	public List<Call> calls() {
		return this.calls;
	}

	@Override
	public String name() {
		return "sim";
	}

	private interface Applied<T> {
		T apply();
	}

	private synchronized boolean takeFailure() {
		if (this.sim.inOutage()) {
			return true;
		}
		if (this.failNext > 0) {
			this.failNext--;
			return true;
		}
		return false;
	}

	private synchronized boolean takeLostReply() {
		if (this.loseReplyNext > 0) {
			this.loseReplyNext--;
			return true;
		}
		return false;
	}

	private <T> T call(String method, String key, String leaseId, Applied<T> action, java.util.function.Predicate<T> isTrue) {
		if (takeFailure()) {
			this.sim.time().advance(TIMEOUT_NANOS);
			record(method, leaseId, Result.FAILED_BEFORE);
			throw new LockProviderUnavailableException(key, "sim: " + method + " failed before reaching the backend", null);
		}
		this.sim.time().advance(this.sim.latencyNanos());
		T value = action.apply();
		this.sim.time().advance(this.sim.latencyNanos());
		if (takeLostReply()) {
			record(method, leaseId, Result.REPLY_LOST);
			throw new LockProviderUnavailableException(key, "sim: reply to " + method + " lost after the backend applied it", null);
		}
		record(method, leaseId, isTrue.test(value) ? Result.TRUE : Result.FALSE);
		return value;
	}

	private synchronized void record(String method, String leaseId, Result result) {
		boolean failed = result == Result.FAILED_BEFORE || result == Result.REPLY_LOST;
		this.lastCallFailed = failed;
		if (failed) {
			this.faults++;
		}
		this.calls.add(new Call(this.calls.size(), method, leaseId, result, this.sim.opIndex()));
	}

	@Override
	public Grant acquire(LeaseRequest request) {
		return call("acquire", request.key(), request.leaseId(),
				() -> this.sim.backend().acquire(request, this.client, this.sim.opIndex()), Grant::isGranted);
	}

	@Override
	public boolean release(LeaseRef lease) {
		return call("release", lease.key(), lease.leaseId(), () -> {
			boolean released = this.sim.backend().memory().release(lease);
			if (released) {
				this.sim.released(lease.key());
			}
			return released;
		}, (b) -> b);
	}

	@Override
	public boolean extend(LeaseRef lease, Duration ttl) {
		return call("extend", lease.key(), lease.leaseId(), () -> this.sim.backend().memory().extend(lease, ttl),
				(b) -> b);
	}

	@Override
	public Set<LeaseRef> renew(List<Renewal> renewals) {
		String key = renewals.isEmpty() ? "" : renewals.get(0).lease().key();
		return call("renew", key, "*" + renewals.size(), () -> {
			Set<LeaseRef> extended = new HashSet<>();
			for (Renewal renewal : renewals) {
				if (this.sim.backend().memory().extend(renewal.lease(), renewal.ttl())) {
					extended.add(renewal.lease());
				}
			}
			return extended;
		}, (s) -> !s.isEmpty());
	}

	@Override
	public LockInfo inspect(String key) {
		return call("inspect", key, "-", () -> this.sim.backend().memory().inspect(key), LockInfo::isLocked);
	}

	@Override
	public LockPage list(String keyPrefix, int offset, int limit) {
		return call("list", keyPrefix, "-", () -> this.sim.backend().memory().list(keyPrefix, offset, limit),
				(p) -> true);
	}

	@Override
	public boolean forceRelease(String key) {
		return call("forceRelease", key, "-", () -> this.sim.backend().memory().forceRelease(key), (b) -> b);
	}

	@Override
	public boolean notifiesReleases() {
		return true;
	}

	@Override
	public ReleaseSubscription subscribe(String key) {
		return subscribe(key, LeaseType.WRITE);
	}

	@Override
	public ReleaseSubscription subscribe(String key, LeaseType type) {
		long releasesAtSubscribe = this.sim.releases(key);
		ReleaseSubscription signals = this.sim.backend().memory().subscribe(key, type);
		return new ReleaseSubscription() {

			private boolean awaited;

			@Override
			public boolean await(long timeoutNanos) throws InterruptedException {
				// only the first wait can tell a missed wake-up: a release between subscribing and waiting
				long releasesBefore = this.awaited ? Long.MAX_VALUE : releasesAtSubscribe;
				this.awaited = true;
				if (Thread.interrupted()) {
					throw new InterruptedException("sim waiter interrupted");
				}
				return SimProvider.this.sim.sleep(SimProvider.this.client, key, type, timeoutNanos, signals,
						releasesBefore);
			}

			@Override
			public void close() {
				signals.close();
			}
		};
	}

	@Override
	public void ping() {
	}

	@Override
	public void close() {
	}

}
