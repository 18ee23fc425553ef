package dev.locksmith;

import java.util.List;
import java.util.Map;

/**
 * Several keys held together, taken by {@link MutexService#acquireAll}: one lease per key, acquired in
 * ascending key order (so two callers locking overlapping sets never deadlock), all or nothing. Like a
 * {@link LockHandle} it is single use and owned by the handle, not the thread; {@link #release()} and
 * {@link #close()} release every key and are safe to call more than once.
 *
 * <p>Each key keeps its own lease, renewal and {@linkplain #fencingToken(String) fencing token}: pass each
 * downstream system the token of the key that guards it. The set is {@linkplain #isValid() valid} while
 * every lease is; losing any one key is a loss of the set ({@link #onLost(Runnable)} runs once).
 */
public interface MultiLockHandle extends AutoCloseable {

	/** The most distinct keys one set may hold: a bound on a caller's mistake, not on a backend. */
	int MAX_KEYS = 256;

	/**
	 * Returns the keys held, distinct, in the order they were acquired (ascending).
	 * @return the keys
	 */
	List<String> keys();

	/**
	 * Returns the lease of each key, in the order of {@link #keys()}. Releasing one of them releases only
	 * that key; release the set through this handle.
	 * @return the leases
	 */
	List<LockHandle> handles();

	/**
	 * Returns the lease on one key of the set.
	 * @param key one of {@link #keys()}
	 * @return its lease
	 * @throws IllegalArgumentException if the key is not in the set
	 */
	LockHandle handle(String key);

	/**
	 * Returns the fencing token issued for one key of the set.
	 * @param key one of {@link #keys()}
	 * @return the key's fencing token
	 * @throws IllegalArgumentException if the key is not in the set
	 */
	long fencingToken(String key);

	/**
	 * Returns the fencing token of every key, in the order of {@link #keys()}.
	 * @return key to fencing token
	 */
	Map<String, Long> fencingTokens();

	/**
	 * Returns whether every lease of the set is still valid (see {@link LockHandle#isValid()}).
	 * @return {@code true} while all keys are held
	 */
	boolean isValid();

	/**
	 * Registers a callback run once when the first key of the set is lost (not when the set is released),
	 * on the service's callback executor; at once on the calling thread if a key is already lost.
	 * @param callback the callback
	 * @return this handle
	 */
	MultiLockHandle onLost(Runnable callback);

	/**
	 * Releases every key, in the reverse of the acquisition order. Every key is attempted even if an
	 * earlier one fails; a release the backend did not confirm is retried by calling this again.
	 * @return {@link ReleaseOutcome#LOST} if any key had been lost, {@link ReleaseOutcome#ALREADY_RELEASED}
	 * if every key had already been released, else {@link ReleaseOutcome#RELEASED}
	 * @throws LockProviderUnavailableException if the backend could not confirm a release (the others are
	 * attached as suppressed); the unconfirmed leases expire by their TTL unless a later release succeeds
	 */
	ReleaseOutcome release();

	/**
	 * Releases the set like {@link #release()}, and throws if any key had been lost, so that
	 * try-with-resources never reports a lost key as success. A second close does nothing.
	 * @throws LockLostException if a key had been lost
	 */
	@Override
	void close();

}
