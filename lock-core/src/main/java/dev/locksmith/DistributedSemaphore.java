package dev.locksmith;

import java.util.Optional;

/**
 * A counting semaphore of a fixed number of permits shared across processes. Each acquisition is a
 * lease on one or more permits: it is renewed like any lease and its permits return when it is released
 * or when its holder dies and the lease expires. A holder may give back part of its permits early with
 * {@link LockHandle#releasePermits(int)}. Obtained from {@link MutexService#semaphore(String, int)}.
 */
public interface DistributedSemaphore {

	/**
	 * Returns the name of this semaphore.
	 * @return the name
	 */
	String name();

	/**
	 * Returns the total number of permits.
	 * @return the limit
	 */
	int limit();

	/**
	 * Acquires {@code permits} permits with the service's default options.
	 * @param permits how many, 1 to {@link #limit()}
	 * @return the handle holding them
	 * @throws IllegalArgumentException if {@code permits} is out of range
	 * @throws LockNotAcquiredException if not enough permits became free within the wait time
	 */
	LockHandle acquire(int permits);

	/**
	 * Acquires {@code permits} permits.
	 * @param permits how many, 1 to {@link #limit()}
	 * @param options the options
	 * @return the handle holding them
	 * @throws IllegalArgumentException if {@code permits} is out of range
	 * @throws LockNotAcquiredException if not enough permits became free within the wait time
	 */
	LockHandle acquire(int permits, LockOptions options);

	/**
	 * Tries to acquire {@code permits} permits, waiting up to the options' wait time.
	 * @param permits how many, 1 to {@link #limit()}
	 * @param options the options
	 * @return the handle, or empty if not acquired
	 * @throws IllegalArgumentException if {@code permits} is out of range
	 */
	Optional<LockHandle> tryAcquire(int permits, LockOptions options);

	/**
	 * Returns how many permits are free now, across all processes.
	 * @return the free permits
	 */
	int available();

}
