package dev.locksmith.boot.shedlock;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import net.javacrumbs.shedlock.core.ExtensibleLockProvider;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.SimpleLock;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LockOptions;
import dev.locksmith.MutexService;

/**
 * ShedLock's lock provider on a {@link MutexService}: {@code @SchedulerLock(name, lockAtMostFor,
 * lockAtLeastFor)} keeps working unchanged on every Locksmith backend.
 *
 * <p>Each lock is a detached lease ({@link MutexService#acquireDetached}) on {@code "shedlock:" + name}:
 * tried once, without waiting; its TTL is {@code lockAtMostFor} and it is not renewed, as in ShedLock. On
 * {@link SimpleLock#unlock()}, if {@code lockAtLeastFor} has not passed yet, the lease is shortened to
 * expire when it does instead of being deleted. {@link SimpleLock#extend} sets the lease to expire
 * {@code lockAtMostFor} from now (ShedLock's {@code KeepAliveLockProvider} builds renewal on it) and
 * returns a new lock; the old one is then spent. Unlocking or extending a spent lock throws
 * {@link IllegalStateException}, as ShedLock's own locks do. The locks are {@link LocksmithSimpleLock}s and
 * carry the lease's fencing token.
 *
 * <p>Differences from ShedLock's providers: times are measured from when the lock is taken rather than
 * from the {@code LockConfiguration}'s creation, and expiry uses the backend's clock (Redis, the
 * database), never this JVM's wall clock.
 */
public class LocksmithShedLockProvider implements ExtensibleLockProvider {

	/** Prefix of the lock keys: the key is this plus the ShedLock lock name. */
	public static final String KEY_PREFIX = "shedlock:";

	private final MutexService locks;

	/**
	 * Creates the provider.
	 * @param locks the lock service
	 */
	public LocksmithShedLockProvider(MutexService locks) {
		this.locks = Objects.requireNonNull(locks, "locks must not be null");
	}

	@Override
	public Optional<SimpleLock> lock(LockConfiguration configuration) {
		Duration atMost = configuration.getLockAtMostFor();
		if (atMost.isZero() || atMost.isNegative()) {
			throw new IllegalArgumentException("ShedLock lockAtMostFor of '" + configuration.getName()
					+ "' must be positive, was " + atMost);
		}
		String key = KEY_PREFIX + configuration.getName();
		LockOptions options = LockOptions.ttl(atMost).withWaitTime(Duration.ZERO).withName("shedlock");
		Optional<LeaseInfo> lease = this.locks.acquireDetached(key, options);
		return lease.map((info) -> new LocksmithSimpleLock(this.locks, key, info.leaseId(), info.fencingToken(),
				configuration.getLockAtLeastFor()));
	}

	/**
	 * A held ShedLock lock: a detached Locksmith lease. Single use: unlocking or extending spends it.
	 */
	public static final class LocksmithSimpleLock implements SimpleLock {

		private final MutexService locks;

		private final String key;

		private final String leaseId;

		private final long fencingToken;

		private final long lockedAtLeastUntilNanos;

		private final AtomicBoolean active = new AtomicBoolean(true);

		LocksmithSimpleLock(MutexService locks, String key, String leaseId, long fencingToken, Duration atLeast) {
			this.locks = locks;
			this.key = key;
			this.leaseId = leaseId;
			this.fencingToken = fencingToken;
			this.lockedAtLeastUntilNanos = System.nanoTime() + Math.max(0, atLeast.toNanos());
		}

		/**
		 * Returns the lease's fencing token, strictly greater than any earlier lock's of the same name.
		 * @return the fencing token
		 */
		public long fencingToken() {
			return this.fencingToken;
		}

		/**
		 * Returns the Locksmith key of this lock.
		 * @return the key
		 */
		public String key() {
			return this.key;
		}

		@Override
		public void unlock() {
			spend("unlocked");
			long keepNanos = this.lockedAtLeastUntilNanos - System.nanoTime();
			if (keepNanos > 0) {
				this.locks.extendLease(this.key, this.leaseId, Duration.ofMillis((keepNanos + 999_999) / 1_000_000));
			}
			else {
				this.locks.releaseLease(this.key, this.leaseId);
			}
		}

		@Override
		public Optional<SimpleLock> extend(Duration lockAtMostFor, Duration lockAtLeastFor) {
			if (lockAtMostFor == null || lockAtMostFor.isZero() || lockAtMostFor.isNegative()) {
				throw new IllegalArgumentException("ShedLock extend: lockAtMostFor must be positive, was " + lockAtMostFor);
			}
			spend("extended");
			if (!this.locks.extendLease(this.key, this.leaseId, lockAtMostFor)) {
				return Optional.empty();
			}
			return Optional.of(new LocksmithSimpleLock(this.locks, this.key, this.leaseId, this.fencingToken,
					lockAtLeastFor));
		}

		private void spend(String how) {
			if (!this.active.compareAndSet(true, false)) {
				throw new IllegalStateException("ShedLock lock '" + this.key
						+ "' was already unlocked or extended; it cannot be " + how + " again");
			}
		}

		@Override
		public String toString() {
			return "LocksmithSimpleLock[key=" + this.key + ", token=" + this.fencingToken + "]";
		}

	}

}
