package dev.locksmith.engine;

import java.util.Objects;
import java.util.Optional;

import dev.locksmith.DistributedSemaphore;
import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;
import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;

/**
 * A semaphore: PERMITS leases on one key, at most {@link #limit()} permits in total.
 */
final class EngineSemaphore implements DistributedSemaphore {

	private final LockEngine engine;

	private final String name;

	private final int limit;

	EngineSemaphore(LockEngine engine, String name, int limit) {
		this.engine = engine;
		this.name = name;
		this.limit = limit;
	}

	@Override
	public String name() {
		return this.name;
	}

	@Override
	public int limit() {
		return this.limit;
	}

	@Override
	public LockHandle acquire(int permits) {
		return acquire(permits, LockOptions.defaults());
	}

	@Override
	public LockHandle acquire(int permits, LockOptions options) {
		return Objects.requireNonNull(take("acquire", permits, options, true));
	}

	@Override
	public Optional<LockHandle> tryAcquire(int permits, LockOptions options) {
		return Optional.ofNullable(take("tryAcquire", permits, options, false));
	}

	@Override
	public int available() {
		int used = 0;
		for (LeaseInfo lease : this.engine.inspect(this.name).leases()) {
			used += (lease.type() == LeaseType.PERMITS) ? lease.permits() : this.limit;
		}
		return Math.max(0, this.limit - used);
	}

	private LockHandle take(String method, int permits, LockOptions options, boolean throwIfNotAcquired) {
		if (permits < 1 || permits > this.limit) {
			throw new IllegalArgumentException("DistributedSemaphore(" + this.name + ")." + method
					+ ": permits must be between 1 and " + this.limit + ", was " + permits);
		}
		return this.engine.acquireTracked("semaphore(" + this.name + ")." + method, this.name, LeaseType.PERMITS,
				permits, this.limit, options, throwIfNotAcquired);
	}

	@Override
	public String toString() {
		return "DistributedSemaphore[" + this.name + ", limit=" + this.limit + "]";
	}

}
