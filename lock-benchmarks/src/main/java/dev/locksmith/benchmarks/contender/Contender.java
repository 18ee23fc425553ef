package dev.locksmith.benchmarks.contender;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * One lock implementation under test, reduced to what every scenario needs: acquire a key (trying once,
 * or waiting up to a bound) and release what was acquired. Implementations are thread-safe; a
 * {@link Held} is released by the thread that acquired it.
 */
public interface Contender extends AutoCloseable {

	/**
	 * Name shown in the tables, e.g. {@code Redisson RLock}.
	 * @return the display name
	 */
	String name();

	/**
	 * Backend family, {@code memory}, {@code redis} or {@code postgres}.
	 * @return the backend name
	 */
	String backend();

	/**
	 * Whether {@link #acquire} can block until the key is free. ShedLock and the raw Redis floor cannot.
	 * @return {@code true} if blocking acquisition is supported
	 */
	boolean canWait();

	/**
	 * Acquires {@code key}.
	 * @param key the lock key (fresh or shared, depending on the scenario)
	 * @param waitTime {@link Duration#ZERO} to try once, otherwise the longest time to wait
	 * @return the held lock, or {@code null} if it was not acquired
	 * @throws Exception if the backend fails
	 */
	@Nullable Held acquire(String key, Duration waitTime) throws Exception;

	/**
	 * Acquire attempts sent to the backend so far, for contenders that count them (S6).
	 * @return the count, or {@code -1} if this contender does not count
	 */
	default long acquireAttempts() {
		return -1;
	}

	/**
	 * Releases everything and closes clients and pools.
	 */
	@Override
	void close();

	/**
	 * A lock held by the benchmark.
	 */
	@FunctionalInterface
	interface Held {

		/**
		 * Releases the lock.
		 * @throws Exception if the backend fails
		 */
		void release() throws Exception;

	}

}
