package dev.locksmith.benchmarks.contender;

import java.time.Duration;
import java.util.Optional;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.MutexService;
import org.jspecify.annotations.Nullable;

/**
 * A Locksmith {@link MutexService} over one provider, used the way an application would:
 * {@code tryAcquire(key, waitTime)} and {@code close()} on the handle.
 */
public final class LocksmithContender implements Contender {

	private static final LockOptions TRY_ONCE = LockOptions.waitTime(Duration.ZERO);

	private final String name;

	private final String backend;

	private final MutexService locks;

	private final AutoCloseable resources;

	private final java.util.function.LongSupplier attempts;

	/**
	 * Wraps a lock service.
	 * @param name display name
	 * @param backend backend family
	 * @param locks the lock service
	 * @param resources closed with this contender (the engine, then clients and pools)
	 */
	public LocksmithContender(String name, String backend, MutexService locks, AutoCloseable resources) {
		this(name, backend, locks, resources, () -> -1);
	}

	/**
	 * Wraps a lock service whose provider counts acquire attempts.
	 * @param name display name
	 * @param backend backend family
	 * @param locks the lock service
	 * @param resources closed with this contender (the engine, then clients and pools)
	 * @param attempts reads the provider's acquire attempts so far
	 */
	public LocksmithContender(String name, String backend, MutexService locks, AutoCloseable resources,
			java.util.function.LongSupplier attempts) {
		this.attempts = attempts;
		this.name = name;
		this.backend = backend;
		this.locks = locks;
		this.resources = resources;
	}

	@Override
	public String name() {
		return this.name;
	}

	@Override
	public String backend() {
		return this.backend;
	}

	@Override
	public boolean canWait() {
		return true;
	}

	@Override
	public @Nullable Held acquire(String key, Duration waitTime) {
		LockOptions options = waitTime.isZero() ? TRY_ONCE : LockOptions.waitTime(waitTime);
		Optional<LockHandle> handle = this.locks.tryAcquire(key, options);
		return handle.<Held>map((held) -> held::close).orElse(null);
	}

	@Override
	public long acquireAttempts() {
		return this.attempts.getAsLong();
	}

	@Override
	public void close() {
		try {
			this.resources.close();
		}
		catch (Exception ex) {
			System.err.println("Could not close " + this.name + ": " + ex);
		}
	}

}
