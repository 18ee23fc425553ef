package dev.locksmith.spi;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import dev.locksmith.LockInfo;
import dev.locksmith.LockPage;
import dev.locksmith.LockProviderUnavailableException;

/**
 * A lock backend. Each method is one atomic operation on the backend; none of them waits for a lock to
 * become free (the engine waits, using {@link #subscribe} and the hint in a denied {@link Grant}).
 *
 * <p><b>Contract.</b> Implementations must:
 * <ul>
 * <li>decide expiry with the backend's own clock, never the caller's;</li>
 * <li>grant {@link dev.locksmith.LeaseType#WRITE WRITE} only when the key has no live lease,
 * {@link dev.locksmith.LeaseType#READ READ} only when it has no live write or permit lease, and
 * {@link dev.locksmith.LeaseType#PERMITS PERMITS} only when the live permit leases plus the request fit the
 * limit and no read or write lease is live;</li>
 * <li>issue with every grant, atomically, a fencing token strictly greater than every token issued for
 * that key before (across all clients and, where the backend allows, across backend restarts);</li>
 * <li>release and extend only the exact lease id named, and never a lease that has expired;</li>
 * <li>report an unreachable or failing backend by throwing {@link LockProviderUnavailableException}.</li>
 * </ul>
 * Implementations are thread-safe. The kit in lock-core's test-jar checks all of this.
 */
public interface LockProvider extends AutoCloseable {

	/**
	 * Returns the backend's name for metrics and logs, for example {@code memory} or {@code redis}.
	 * @return the provider name
	 */
	String name();

	/**
	 * Tries once to take the requested lease.
	 * @param request the lease to take
	 * @return a grant with its fencing token, or a denial (with the blocking lease's remaining TTL if known)
	 * @throws LockProviderUnavailableException if the backend cannot be reached
	 */
	Grant acquire(LeaseRequest request);

	/**
	 * Releases one lease if, and only if, it is still live on the backend, and wakes waiters on the key.
	 * @param lease the lease
	 * @return {@code true} if the lease was live and is now gone; {@code false} if it had expired or is unknown
	 * @throws LockProviderUnavailableException if the backend cannot be reached
	 */
	boolean release(LeaseRef lease);

	/**
	 * Sets a live lease to expire {@code ttl} after the backend's now (which may shorten it).
	 * @param lease the lease
	 * @param ttl the new time to live, positive
	 * @return {@code true} if the lease was live and now has the new expiry; {@code false} if it is gone
	 * @throws LockProviderUnavailableException if the backend cannot be reached
	 */
	boolean extend(LeaseRef lease, Duration ttl);

	/**
	 * Lowers a live {@link dev.locksmith.LeaseType#PERMITS PERMITS} lease to {@code permits} permits, keeping
	 * its lease id, fencing token and expiry, and wakes waiters on the key so that the freed permits can be
	 * taken. The count is absolute, not a difference, so a request re-sent after a lost reply frees nothing
	 * twice: a lease that already holds {@code permits} or fewer is left as it is and reported live. The
	 * default refuses; every provider that grants PERMITS leases overrides it.
	 * @param lease the lease (of type PERMITS)
	 * @param permits the permits it keeps, at least 1
	 * @return {@code true} if the lease is live and now holds at most {@code permits}; {@code false} if it is gone
	 * @throws UnsupportedOperationException if this provider cannot release part of a lease's permits
	 * @throws IllegalArgumentException if {@code permits} is less than 1 or the lease is not of type PERMITS
	 * @throws LockProviderUnavailableException if the backend cannot be reached
	 */
	default boolean reducePermits(LeaseRef lease, int permits) {
		throw new UnsupportedOperationException(
				"Lock provider '" + name() + "' cannot release part of a semaphore lease's permits");
	}

	/**
	 * Checks the arguments of {@link #reducePermits} for a provider: the lease must be a PERMITS lease and
	 * keep at least one permit.
	 * @param method the calling method, for the message
	 * @param lease the lease
	 * @param permits the permits it is to keep
	 * @throws IllegalArgumentException if either is wrong
	 */
	static void checkReducePermits(String method, LeaseRef lease, int permits) {
		if (lease.type() != dev.locksmith.LeaseType.PERMITS) {
			throw new IllegalArgumentException(method + ": only a PERMITS lease has permits to release, was "
					+ lease.type());
		}
		if (permits < 1) {
			throw new IllegalArgumentException(method + ": a lease keeps at least 1 permit, was " + permits
					+ " (release the lease to give them all back)");
		}
	}

	/**
	 * Extends many leases, in as few round trips as the backend allows (the engine calls this once per
	 * renewal tick with every lease that is due). The default calls {@link #extend} for each.
	 * @param renewals the leases and their new TTLs
	 * @return the leases that were live and are now extended; the others are gone
	 * @throws LockProviderUnavailableException if the backend cannot be reached
	 */
	default Set<LeaseRef> renew(List<Renewal> renewals) {
		Set<LeaseRef> extended = new HashSet<>();
		for (Renewal renewal : renewals) {
			if (extend(renewal.lease(), renewal.ttl())) {
				extended.add(renewal.lease());
			}
		}
		return extended;
	}

	/**
	 * Reads the live leases on a key.
	 * @param key the backend key
	 * @return the key's state (with the backend key)
	 * @throws LockProviderUnavailableException if the backend cannot be reached
	 */
	LockInfo inspect(String key);

	/**
	 * Lists keys with live leases whose backend key starts with {@code keyPrefix}, ordered by key.
	 * @param keyPrefix the prefix every listed key starts with (may be empty)
	 * @param offset how many keys to skip
	 * @param limit the most keys to return
	 * @return the page (with backend keys)
	 * @throws LockProviderUnavailableException if the backend cannot be reached
	 */
	LockPage list(String keyPrefix, int offset, int limit);

	/**
	 * Removes every lease on a key, whoever holds it, and wakes waiters. The fencing counter is kept.
	 * @param key the backend key
	 * @return {@code true} if any lease was removed
	 * @throws LockProviderUnavailableException if the backend cannot be reached
	 */
	boolean forceRelease(String key);

	/**
	 * Returns whether this backend tells waiters about releases through {@link #subscribe}. When it does
	 * not, the engine spaces attempts with the caller's backoff.
	 * @return {@code true} if subscriptions are signalled on release
	 */
	boolean notifiesReleases();

	/**
	 * Subscribes to releases of one key. Must be cheap: the engine subscribes whenever a waiting
	 * acquisition finds the key taken, before trying again.
	 * @param key the backend key
	 * @return an armed subscription
	 */
	ReleaseSubscription subscribe(String key);

	/**
	 * Subscribes to releases of one key on behalf of a waiter for a lease of {@code type}, so that a
	 * release can wake one exclusive waiter instead of all of them (see
	 * {@link dev.locksmith.provider.support.ReleaseSignals}). The default ignores the type and calls
	 * {@link #subscribe(String)}; providers that use {@code ReleaseSignals} pass it on.
	 * @param key the backend key
	 * @param type the lease type the waiter wants
	 * @return an armed subscription
	 */
	default ReleaseSubscription subscribe(String key, dev.locksmith.LeaseType type) {
		return subscribe(key);
	}

	/**
	 * Returns whether this backend keeps a queue of waiters per key and hands a released key to the oldest
	 * of them. When it does, the engine subscribes with {@link #subscribe(LeaseRequest)} before the first
	 * attempt of every acquisition that may wait (never for a try-once), so that the provider knows which
	 * attempts wait, and closes that subscription when the acquisition ends. Default {@code false}.
	 * @return {@code true} if waiters are queued
	 */
	default boolean queuesWaiters() {
		return false;
	}

	/**
	 * Subscribes to releases of one key on behalf of one waiting acquisition, named by its request (the
	 * same lease id is sent by every attempt of the acquisition). A provider that
	 * {@link #queuesWaiters() queues waiters} treats the request's attempts as queued while the
	 * subscription is open, wakes it when the key is handed to it, and on {@link ReleaseSubscription#close()}
	 * without a grant takes the waiter out of the queue. The default calls
	 * {@link #subscribe(String, dev.locksmith.LeaseType)}.
	 * @param request the waiting acquisition's request
	 * @return an armed subscription
	 */
	default ReleaseSubscription subscribe(LeaseRequest request) {
		return subscribe(request.key(), request.type());
	}

	/**
	 * Registers the listener to call when the backend reports, on its own, that a lease was lost (for
	 * example a PostgreSQL session that held advisory locks died). Providers that cannot tell keep the
	 * default, which ignores it; the engine's renewals find lost leases anyway.
	 * @param listener called with the lost lease
	 */
	default void setLeaseLossListener(Consumer<LeaseRef> listener) {
	}

	/**
	 * Checks that the backend answers, for health checks.
	 * @throws LockProviderUnavailableException if it does not
	 */
	void ping();

	/**
	 * Releases the provider's own resources (connections, subscriptions). Does not release leases.
	 */
	@Override
	void close();

}
