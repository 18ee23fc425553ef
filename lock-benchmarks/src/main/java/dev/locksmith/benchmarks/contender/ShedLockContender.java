package dev.locksmith.benchmarks.contender;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.core.SimpleLock;
import org.jspecify.annotations.Nullable;

/**
 * A ShedLock {@link LockProvider}. ShedLock only tries once (it is made for scheduled tasks), so this
 * contender takes part in the lock+unlock scenarios only.
 */
public final class ShedLockContender implements Contender {

	private static final Duration LOCK_AT_MOST_FOR = Duration.ofSeconds(30);

	private final String name;

	private final String backend;

	private final LockProvider provider;

	private final AutoCloseable resources;

	/**
	 * Wraps a provider.
	 * @param name display name
	 * @param backend backend family
	 * @param provider the ShedLock provider
	 * @param resources closed with this contender
	 */
	public ShedLockContender(String name, String backend, LockProvider provider, AutoCloseable resources) {
		this.name = name;
		this.backend = backend;
		this.provider = provider;
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
		return false;
	}

	@Override
	public @Nullable Held acquire(String key, Duration waitTime) {
		Optional<SimpleLock> lock = this.provider
			.lock(new LockConfiguration(Instant.now(), key, LOCK_AT_MOST_FOR, Duration.ZERO));
		return lock.<Held>map((held) -> held::unlock).orElse(null);
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
