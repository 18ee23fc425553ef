package dev.locksmith.sim;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.ReleaseSubscription;

/**
 * What a {@link SimProvider} connection needs from the world it runs in: master time, the backend,
 * latency and outages, and how a waiter sleeps. {@link Simulation} implements it on one thread (a sleep
 * is simulated time); the controlled-concurrency harness ({@link ThreadedWorld}) with real threads.
 */
interface SimNetwork {

	/** @return master time */
	SimTime time();

	/** @return the backend */
	SimBackend backend();

	/** @return the operation being run (recorded with each grant), or -1 */
	long opIndex();

	/** @return whether the backend is unreachable now */
	boolean inOutage();

	/** @return the one-way latency of the next call */
	long latencyNanos();

	/**
	 * Makes a waiter sleep on a subscription.
	 * @param client the waiting client
	 * @param key the backend key
	 * @param type what it waits for
	 * @param localNanos the timeout on the client's clock
	 * @param signals the backend's subscription
	 * @param releasesAtSubscribe the key's release count when the subscription was taken
	 * @return true if a release was signalled
	 * @throws InterruptedException if interrupted
	 */
	boolean sleep(int client, String key, LeaseType type, long localNanos, ReleaseSubscription signals,
			long releasesAtSubscribe) throws InterruptedException;

	/**
	 * Returns how many releases of {@code key} the backend applied (and signalled) so far.
	 * @param key the backend key
	 * @return the count
	 */
	long releases(String key);

	/**
	 * Counts one release of {@code key} applied by the backend.
	 * @param key the backend key
	 */
	void released(String key);

}
