package dev.locksmith;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * A held lease: single use, owned by the handle rather than by a thread, so it may be released from
 * another thread, an executor or reactive code. Close it (or {@link #release()} it) exactly when the
 * critical section ends; both are safe to call more than once.
 *
 * <p><b>Validity.</b> The local deadline is measured with a monotonic clock from the moment the acquire
 * request was sent, minus a drift allowance, so {@link #remaining()} never overstates the lease. An
 * auto-extended lease moves its deadline forward on each renewal; {@link #extend(Duration)} sets it to the
 * new TTL from the moment the extension was sent (earlier, if the new TTL is shorter).
 *
 * <p><b>Loss.</b> A lease is lost when a renewal finds it gone from the backend, or when its local
 * deadline passes while it is still held (the backend could not be reached in time, or the lease was
 * not auto-extended). Then {@link #isValid()} turns false and the {@link #onLost(Runnable) callbacks} run
 * once. The {@linkplain #fencingToken() fencing token} is what lets downstream systems reject a holder
 * that carried on regardless.
 */
public interface LockHandle extends AutoCloseable {

	/**
	 * Returns the key this lease is on.
	 * @return the key
	 */
	String key();

	/**
	 * Returns the metrics name of this lock (the key when no name was given).
	 * @return the name
	 */
	String name();

	/**
	 * Returns what this lease holds.
	 * @return the lease type
	 */
	LeaseType type();

	/**
	 * Returns how many permits this lease holds now ({@code 1} for mutex, read and write leases; lowered by
	 * {@link #releasePermits(int)}).
	 * @return the permits
	 */
	int permits();

	/**
	 * Returns the owner id of the service that took this lease.
	 * @return the owner
	 */
	String owner();

	/**
	 * Returns the random id that identifies this lease on the backend.
	 * @return the lease id
	 */
	String leaseId();

	/**
	 * Returns the fencing token issued with the grant: strictly greater than every token issued earlier
	 * for the same key, across all holders and processes.
	 * @return the fencing token
	 */
	long fencingToken();

	/**
	 * Returns when the lease was granted (wall clock of this process, for display).
	 * @return the acquisition time
	 */
	Instant acquiredAt();

	/**
	 * Returns the metadata stored with the lease.
	 * @return the metadata
	 */
	Map<String, String> metadata();

	/**
	 * Returns whether the lease is still held: not released, not lost, and its local deadline not passed.
	 * @return {@code true} while the lease is valid
	 */
	boolean isValid();

	/**
	 * Returns how long the lease is certainly still valid.
	 * @return the time to the local deadline, {@link Duration#ZERO} once invalid
	 */
	Duration remaining();

	/**
	 * Returns how many times the lease has been renewed (automatically or through {@link #extend}).
	 * @return the renewal count
	 */
	long renewals();

	/**
	 * Extends the lease so that it expires {@code ttl} after the backend receives the request. The local
	 * deadline becomes {@code ttl} (minus the drift allowance) from when the request was sent, and an
	 * auto-extended lease's next renewal is rescheduled to a third of {@code ttl}. If a renewal of this
	 * lease is on its way, the extend waits for its answer first, so the backend sees them in order. If the
	 * backend does not answer, the deadline becomes the earlier of the old one and the new one.
	 * @param ttl the new time to live, from {@link LockOptions#MIN_TTL} to {@link LockOptions#MAX_TTL}
	 * @throws IllegalArgumentException if {@code ttl} is out of bounds
	 * @throws LockLostException if the lease was lost (expired or taken over)
	 * @throws LockNotHeldException if the handle was released
	 * @throws LockProviderUnavailableException if the backend cannot be reached
	 */
	void extend(Duration ttl);

	/**
	 * Releases {@code count} of the permits this semaphore lease holds and keeps the rest: same lease id,
	 * fencing token and expiry, still renewed; {@link #permits()} then returns what is left and the freed
	 * permits can be taken by other holders at once. Releasing every permit held is {@link #release()}.
	 * Serialised with this lease's renewals and extends like {@link #extend}. If the backend does not answer,
	 * {@link #permits()} keeps the old count and calling this again with the same count is safe (the backend
	 * is told the absolute count to keep, so nothing is freed twice).
	 * @param count how many permits to release, 1 to {@link #permits()}
	 * @return the permits still held ({@code 0} once all were released)
	 * @throws IllegalArgumentException if {@code count} is less than 1 or more than the permits held
	 * @throws UnsupportedOperationException if this is not a semaphore lease, or its provider cannot release
	 * part of a lease
	 * @throws LockLostException if the lease was lost
	 * @throws LockNotHeldException if the handle was released
	 * @throws LockProviderUnavailableException if the backend cannot be reached
	 */
	default int releasePermits(int count) {
		throw new UnsupportedOperationException("LockHandle.releasePermits is not supported by " + getClass().getName());
	}

	/**
	 * Registers a callback run once when the lease is lost (not when it is released). If the lease is
	 * already lost, the callback runs at once on the calling thread. Otherwise it runs on the service's
	 * callback executor (see {@code Locksmith.Builder#callbackExecutor}), never on the renewal thread;
	 * it should still return quickly, as it delays the callbacks and events queued behind it.
	 * @param callback the callback
	 * @return this handle
	 */
	LockHandle onLost(Runnable callback);

	/**
	 * Releases the lease. Only this lease is released: if it expired and someone else now holds the key,
	 * their lease is untouched. Works on an interrupted thread and leaves the interrupt flag set.
	 *
	 * <p>If the backend cannot be reached, the release throws and is not counted as a release (no RELEASED
	 * event): the lease is no longer renewed or {@linkplain #isValid() valid}, and expires by its TTL. Calling
	 * {@code release()} again retries it: {@link ReleaseOutcome#RELEASED} if the backend still had the lease,
	 * {@link ReleaseOutcome#LOST} if it had expired meanwhile.
	 * @return what was found
	 * @throws LockProviderUnavailableException if the backend cannot be reached (the lease then expires
	 * by its TTL unless a later release succeeds)
	 */
	ReleaseOutcome release();

	/**
	 * Releases the lease like {@link #release()}, and throws if it had been lost, so that
	 * try-with-resources never reports a lost lease as success. A second close does nothing.
	 * @throws LockLostException if the lease had been lost
	 */
	@Override
	void close();

}
