package dev.locksmith.boot.integration;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.integration.support.locks.DistributedLock;
import org.springframework.integration.support.locks.ExpirableLockRegistry;
import org.springframework.integration.support.locks.RenewableLockRegistry;

import dev.locksmith.Backoff;
import dev.locksmith.LockHandle;
import dev.locksmith.LockNotAcquiredException;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.MutexService;
import dev.locksmith.ReleaseOutcome;

/**
 * Spring Integration's lock registry on a {@link MutexService}. Follows the semantics of Spring
 * Integration's own distributed registries ({@code RedisLockRegistry}, {@code JdbcLockRegistry}):
 * <ul>
 * <li>{@link #obtain} returns the same lock for the same key; keys are {@code registryKey + ":" + key}.</li>
 * <li>A lock is owned by a thread and reentrant: a local {@link ReentrantLock} orders the threads of this
 * process, and the first hold takes a Locksmith lease, the last unlock releases it.</li>
 * <li>{@code unlock()} by a thread that does not hold the lock throws {@link IllegalStateException}; so does
 * the last {@code unlock()} when the lease was lost meanwhile (the local lock is released anyway).</li>
 * <li>A reentrant acquisition checks the lease: if it was lost, a new lease is taken when the key is free,
 * otherwise the acquisition fails (this is how {@code LockRegistryLeaderInitiator} notices a lost lock).</li>
 * <li>{@code newCondition()} is not supported.</li>
 * </ul>
 * Difference: leases are auto-extended while held (renewed at a third of the TTL), so a lock held longer
 * than its TTL is not lost while this process runs; the TTL ({@code ttl}, or the one passed to
 * {@link DistributedLock#lock(Duration)} / {@link DistributedLock#tryLock(Duration, Duration)}) only bounds
 * how long a crashed holder blocks others. {@link #renewLock} extends the lease explicitly. A thread that
 * ends while holding a lock does not keep it renewed: every third of the registry's TTL a daemon thread
 * releases the leases of holders that are no longer alive and drops their locks from the cache, so other
 * processes get the key within about the TTL, and this process's threads through a new {@link #obtain}
 * (a thread still blocked on the old lock object stays blocked, as in Spring Integration's registries).
 * {@link #close()} stops that thread.
 */
public class LocksmithLockRegistry implements ExpirableLockRegistry<DistributedLock>,
		RenewableLockRegistry<DistributedLock>, AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(LocksmithLockRegistry.class);

	/** Default registry key (the prefix of every lock key). */
	public static final String DEFAULT_REGISTRY_KEY = "integration";

	/** How long one blocking acquisition waits before {@code lock()} simply asks again. */
	private static final Duration LOCK_WAIT = Duration.ofHours(1);

	private final MutexService locks;

	private final String registryKey;

	private final Duration ttl;

	private final ConcurrentMap<String, LocksmithLock> cache = new ConcurrentHashMap<>();

	/** Releases the leases of threads that died holding them. */
	private final ScheduledExecutorService reaper;

	/**
	 * Creates a registry with the default key and TTL ({@value Locksmith#DEFAULT_TTL_SECONDS} s).
	 * @param locks the lock service
	 */
	public LocksmithLockRegistry(MutexService locks) {
		this(locks, DEFAULT_REGISTRY_KEY, Duration.ofSeconds(Locksmith.DEFAULT_TTL_SECONDS));
	}

	/**
	 * Creates a registry.
	 * @param locks the lock service
	 * @param registryKey the prefix of every lock key, not blank
	 * @param ttl the default lease TTL, positive
	 * @throws IllegalArgumentException if {@code registryKey} is blank or {@code ttl} is not positive
	 */
	public LocksmithLockRegistry(MutexService locks, String registryKey, Duration ttl) {
		this.locks = Objects.requireNonNull(locks, "locks must not be null");
		if (registryKey == null || registryKey.isBlank()) {
			throw new IllegalArgumentException("LocksmithLockRegistry registryKey must not be blank");
		}
		requirePositive(ttl, "ttl");
		this.registryKey = registryKey;
		this.ttl = ttl;
		this.reaper = Executors.newSingleThreadScheduledExecutor((runnable) -> {
			Thread thread = new Thread(runnable, "locksmith-integration-reaper");
			thread.setDaemon(true);
			return thread;
		});
		long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10), ttl.toNanos() / 3);
		this.reaper.scheduleWithFixedDelay(this::releaseLocksOfDeadThreads, period, period, TimeUnit.NANOSECONDS);
	}

	/**
	 * Stops the thread that releases the locks of dead threads. Locks still held stay held.
	 */
	@Override
	public void close() {
		this.reaper.shutdownNow();
	}

	private void releaseLocksOfDeadThreads() {
		try {
			this.cache.values().forEach(LocksmithLock::releaseIfOwnerDied);
		}
		catch (RuntimeException ex) {
			logger.warn("Could not release the locks of dead threads", ex);
		}
	}

	@Override
	public DistributedLock obtain(Object lockKey) {
		Objects.requireNonNull(lockKey, "lockKey must not be null");
		String key = this.registryKey + ":" + lockKey;
		return this.cache.computeIfAbsent(key, LocksmithLock::new).touch();
	}

	/**
	 * Removes from the cache the locks that nobody holds and nobody obtained for {@code age} milliseconds.
	 * @param age the age in milliseconds
	 */
	@Override
	public void expireUnusedOlderThan(long age) {
		long now = System.currentTimeMillis();
		this.cache.values().removeIf((lock) -> !lock.local.isLocked() && now - lock.lastUsed > age);
	}

	/**
	 * Extends the lease of a lock the current thread holds by the registry's TTL.
	 * @param lockKey the lock key
	 * @throws IllegalStateException if the current thread does not hold it, or its lease was lost
	 */
	@Override
	public void renewLock(Object lockKey) {
		renewLock(lockKey, this.ttl);
	}

	/**
	 * Extends the lease of a lock the current thread holds so that it expires {@code ttl} from now.
	 * @param lockKey the lock key
	 * @param ttl the new TTL, positive
	 * @throws IllegalStateException if the current thread does not hold it, or its lease was lost
	 */
	@Override
	public void renewLock(Object lockKey, Duration ttl) {
		requirePositive(ttl, "ttl");
		String key = this.registryKey + ":" + lockKey;
		LocksmithLock lock = this.cache.get(key);
		if (lock == null || !lock.local.isHeldByCurrentThread() || lock.handle == null) {
			throw new IllegalStateException("You do not own lock at " + key);
		}
		try {
			lock.handle.extend(ttl);
		}
		catch (RuntimeException ex) {
			throw new IllegalStateException("Could not renew lock at " + key + ": " + ex.getMessage(), ex);
		}
	}

	private static void requirePositive(@Nullable Duration value, String what) {
		if (value == null || value.isZero() || value.isNegative()) {
			throw new IllegalArgumentException("LocksmithLockRegistry " + what + " must be positive, was " + value);
		}
	}

	/**
	 * One key's lock: a local reentrant lock for the threads of this process plus, while held, a lease.
	 */
	private final class LocksmithLock implements DistributedLock {

		private final String key;

		final ReentrantLock local = new ReentrantLock();

		/** The lease while held; touched only by the owning thread (or the reaper, once that thread died). */
		volatile @Nullable LockHandle handle;

		/** The thread that took {@link #handle}; cleared by the last unlock. */
		volatile @Nullable Thread owner;

		volatile long lastUsed = System.currentTimeMillis();

		LocksmithLock(String key) {
			this.key = key;
		}

		LocksmithLock touch() {
			this.lastUsed = System.currentTimeMillis();
			return this;
		}

		/**
		 * The lease options; the service's default attempt limit and minimum hold (meant for
		 * {@code @DistributedLock}) would break Lock semantics: a timed wait giving up early, {@code lock()}
		 * asking again in a busy loop, a key still taken after {@code unlock()}.
		 */
		private LockOptions options(Duration ttl, Duration waitTime) {
			return LockOptions.ttl(ttl)
				.withAutoExtend(true)
				.withWaitTime(waitTime)
				.withBackoff(Backoff.defaults())
				.withMinHold(Duration.ZERO)
				.withName(LocksmithLockRegistry.this.registryKey);
		}

		@Override
		public void lock() {
			lock(LocksmithLockRegistry.this.ttl);
		}

		@Override
		public void lock(Duration ttl) {
			requirePositive(ttl, "ttl");
			this.local.lock();
			boolean interrupted = false;
			try {
				while (true) {
					try {
						if (this.local.getHoldCount() > 1 && leaseStillValid()) {
							return;
						}
						hold(LocksmithLockRegistry.this.locks.acquire(this.key, options(ttl, LOCK_WAIT)));
						return;
					}
					catch (LockNotAcquiredException ex) {
						interrupted |= Thread.interrupted(); // lock() is not interruptible: ask again
					}
				}
			}
			catch (RuntimeException ex) {
				this.local.unlock();
				throw ex;
			}
			finally {
				if (interrupted) {
					Thread.currentThread().interrupt();
				}
			}
		}

		@Override
		public void lockInterruptibly() throws InterruptedException {
			this.local.lockInterruptibly();
			try {
				while (this.local.getHoldCount() == 1 || !leaseStillValid()) {
					try {
						hold(LocksmithLockRegistry.this.locks.acquire(this.key,
								options(LocksmithLockRegistry.this.ttl, LOCK_WAIT)));
						return;
					}
					catch (LockNotAcquiredException ex) {
						if (Thread.interrupted()) {
							throw new InterruptedException("Interrupted while waiting for lock at " + this.key);
						}
					}
				}
			}
			catch (InterruptedException | RuntimeException ex) {
				this.local.unlock();
				throw ex;
			}
		}

		@Override
		public boolean tryLock() {
			try {
				return tryLock(Duration.ZERO, LocksmithLockRegistry.this.ttl);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return false;
			}
		}

		@Override
		public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
			return tryLock(Duration.ofNanos(unit.toNanos(Math.max(0, time))), LocksmithLockRegistry.this.ttl);
		}

		@Override
		public boolean tryLock(Duration waitTime, Duration ttl) throws InterruptedException {
			requirePositive(ttl, "ttl");
			long start = System.nanoTime();
			if (!this.local.tryLock(waitTime.toNanos(), TimeUnit.NANOSECONDS)) {
				return false;
			}
			try {
				if (this.local.getHoldCount() > 1 && leaseStillValid()) {
					return true;
				}
				long left = Math.max(0, waitTime.toNanos() - (System.nanoTime() - start));
				LockHandle acquired;
				try {
					acquired = LocksmithLockRegistry.this.locks
						.tryAcquire(this.key, options(ttl, Duration.ofNanos(left)))
						.orElse(null);
				}
				catch (LockNotAcquiredException ex) {
					acquired = null; // the engine gives up a wait when interrupted
				}
				if (acquired == null) {
					this.local.unlock();
					if (Thread.interrupted()) {
						throw new InterruptedException("Interrupted while waiting for lock at " + this.key);
					}
					return false;
				}
				hold(acquired);
				return true;
			}
			catch (RuntimeException ex) {
				this.local.unlock();
				throw ex;
			}
		}

		private void hold(LockHandle acquired) {
			this.owner = Thread.currentThread();
			this.handle = acquired;
		}

		/** Releases the lease of a holder that is no longer alive and drops this lock from the cache. */
		void releaseIfOwnerDied() {
			Thread holder = this.owner;
			if (holder == null || holder.isAlive()) {
				return;
			}
			LockHandle held = this.handle;
			this.handle = null;
			this.owner = null;
			LocksmithLockRegistry.this.cache.remove(this.key, this);
			if (held != null) {
				logger.warn("Thread {} ended holding lock at {}; its lease is released", holder.getName(), this.key);
				releaseQuietly(held);
			}
		}

		/** On a reentrant hold: whether the lease is still valid; a lost one is released and forgotten. */
		private boolean leaseStillValid() {
			LockHandle held = this.handle;
			if (held != null && held.isValid()) {
				return true;
			}
			if (held != null) {
				releaseQuietly(held);
				this.handle = null;
			}
			return false;
		}

		@Override
		public void unlock() {
			if (!this.local.isHeldByCurrentThread()) {
				throw new IllegalStateException("You do not own lock at " + this.key);
			}
			if (this.local.getHoldCount() > 1) {
				this.local.unlock();
				return;
			}
			LockHandle held = this.handle;
			this.handle = null;
			this.owner = null;
			try {
				if (held == null || held.release() == ReleaseOutcome.LOST) {
					throw new IllegalStateException("Lock was released in the store due to expiration. "
							+ "The integrity of data protected by this lock may have been compromised: " + this.key);
				}
			}
			finally {
				this.local.unlock();
				touch();
			}
		}

		private void releaseQuietly(LockHandle held) {
			try {
				held.release();
			}
			catch (RuntimeException ex) {
				logger.debug("Could not release lost lease at {}", this.key, ex);
			}
		}

		@Override
		public Condition newCondition() {
			throw new UnsupportedOperationException("LocksmithLockRegistry locks do not support conditions");
		}

		@Override
		public String toString() {
			return "LocksmithLock[key=" + this.key + ", held=" + this.local.isLocked() + "]";
		}

	}

}
