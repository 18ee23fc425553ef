package dev.locksmith.spi;

/**
 * A waiter's interest in releases of one key, from {@link LockProvider#subscribe(String)}. Armed when
 * created: a release that happens after the subscription was taken is never missed, even if it comes
 * before {@link #await}.
 */
public interface ReleaseSubscription extends AutoCloseable {

	/**
	 * Waits until a release of the key is signalled or the timeout passes. A signal that arrived since
	 * the subscription was taken (or since the last {@code await} returned {@code true}) returns at once.
	 * @param timeoutNanos the most to wait, in nanoseconds
	 * @return {@code true} if a release was signalled, {@code false} on timeout
	 * @throws InterruptedException if the thread is interrupted while waiting
	 */
	boolean await(long timeoutNanos) throws InterruptedException;

	/**
	 * Stops listening. Idempotent.
	 */
	@Override
	void close();

}
