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
	 * Says that the wake-up the last {@link #await} returned was not used: the attempt made after it got no
	 * answer from the backend. The wake-up is pending again, so that {@link #close} passes it on to the next
	 * waiter instead of leaving that waiter asleep through the release. Default: nothing (for subscriptions
	 * that wake every waiter on every release).
	 */
	default void wakeUpUnused() {
	}

	/**
	 * Stops listening. Idempotent.
	 */
	@Override
	void close();

}
