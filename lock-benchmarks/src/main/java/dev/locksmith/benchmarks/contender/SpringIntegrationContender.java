package dev.locksmith.benchmarks.contender;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

import org.jspecify.annotations.Nullable;
import org.springframework.integration.support.locks.LockRegistry;

/**
 * A Spring Integration {@link LockRegistry} ({@code RedisLockRegistry} or {@code JdbcLockRegistry}) with
 * its defaults, used through {@link Lock#tryLock(long, TimeUnit)}.
 */
public final class SpringIntegrationContender implements Contender {

	private final String name;

	private final String backend;

	private final LockRegistry<?> registry;

	private final AutoCloseable resources;

	/**
	 * Wraps a registry.
	 * @param name display name
	 * @param backend backend family
	 * @param registry the registry
	 * @param resources closed with this contender (connection factory, pool)
	 */
	public SpringIntegrationContender(String name, String backend, LockRegistry<?> registry, AutoCloseable resources) {
		this.name = name;
		this.backend = backend;
		this.registry = registry;
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
	public @Nullable Held acquire(String key, Duration waitTime) throws InterruptedException {
		Lock lock = this.registry.obtain(key);
		boolean acquired = waitTime.isZero() ? lock.tryLock() : lock.tryLock(waitTime.toMillis(), TimeUnit.MILLISECONDS);
		return acquired ? lock::unlock : null;
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
