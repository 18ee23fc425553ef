package dev.locksmith;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Distributed locks on string keys, backed by one provider (in-memory, Redis, JDBC, …). Thread-safe;
 * one instance per application. Build one with {@link Locksmith#builder}, or inject the one the Spring
 * Boot starter configures.
 *
 * <p>Every acquisition is a lease with a TTL, carries a strictly increasing fencing token, and is
 * renewed while held when auto-extension applies (see {@link LockOptions}). Waiting never polls on a
 * fixed interval: a waiter sleeps until the backend reports a release, or until the holder's remaining
 * TTL runs out, with the {@link Backoff} as a safety net.
 *
 * <p>Locks are not reentrant: a thread that acquires a key it already holds gets a
 * {@link LockAlreadyHeldException} instead of deadlocking.
 *
 * <pre>{@code
 * Token token = locks.withLock("user:" + id, () -> refresh(id));          // wait, run, release
 * Optional<Report> report = locks.tryWithLock("report", Duration.ZERO, this::run);
 * try (LockHandle lock = locks.acquire("job:42", LockOptions.ttl(Duration.ofMinutes(5)))) {
 *     storage.write(lock.fencingToken(), data);
 * }
 * }</pre>
 */
public interface MutexService {

	/**
	 * Acquires {@code key} with the default options (waiting up to the default wait time), runs the
	 * action and releases the lock, whatever the action does.
	 * @param <T> the result type
	 * @param <E> the action's exception type
	 * @param key the lock key
	 * @param action the action
	 * @return the action's result
	 * @throws E if the action fails (the lock is released first)
	 * @throws LockNotAcquiredException if the lock was not acquired within the wait time
	 * @throws LockLostException if the lease was lost while the action ran (thrown after it returned)
	 */
	<T, E extends Exception> T withLock(String key, LockedCallable<T, E> action) throws E;

	/**
	 * Acquires {@code key} with the default options, runs the action and releases the lock.
	 * @param <E> the action's exception type
	 * @param key the lock key
	 * @param action the action
	 * @throws E if the action fails (the lock is released first)
	 * @throws LockNotAcquiredException if the lock was not acquired within the wait time
	 * @throws LockLostException if the lease was lost while the action ran (thrown after it returned)
	 */
	<E extends Exception> void withLock(String key, LockedRunnable<E> action) throws E;

	/**
	 * Acquires {@code key} with {@code options}, runs the action and releases the lock.
	 * @param <T> the result type
	 * @param <E> the action's exception type
	 * @param key the lock key
	 * @param options the options
	 * @param action the action
	 * @return the action's result
	 * @throws E if the action fails (the lock is released first)
	 * @throws LockNotAcquiredException if the lock was not acquired within the wait time
	 * @throws LockLostException if the lease was lost while the action ran (thrown after it returned)
	 */
	<T, E extends Exception> T withLock(String key, LockOptions options, LockedCallable<T, E> action) throws E;

	/**
	 * Acquires {@code key} with {@code options}, runs the action and releases the lock.
	 * @param <E> the action's exception type
	 * @param key the lock key
	 * @param options the options
	 * @param action the action
	 * @throws E if the action fails (the lock is released first)
	 * @throws LockNotAcquiredException if the lock was not acquired within the wait time
	 * @throws LockLostException if the lease was lost while the action ran (thrown after it returned)
	 */
	<E extends Exception> void withLock(String key, LockOptions options, LockedRunnable<E> action) throws E;

	/**
	 * Tries to acquire {@code key}, waiting up to {@code waitTime}; if acquired, runs the action and
	 * releases the lock.
	 * @param <T> the result type
	 * @param <E> the action's exception type
	 * @param key the lock key
	 * @param waitTime how long to wait, zero to try once
	 * @param action the action
	 * @return the action's result, or empty if the lock was not acquired (or the action returned null)
	 * @throws E if the action fails (the lock is released first)
	 * @throws LockLostException if the lease was lost while the action ran
	 */
	<T, E extends Exception> Optional<T> tryWithLock(String key, Duration waitTime, LockedCallable<T, E> action)
			throws E;

	/**
	 * Like {@link #tryWithLock(String, Duration, LockedCallable)} with full options (the wait time comes
	 * from the options, or the default).
	 * @param <T> the result type
	 * @param <E> the action's exception type
	 * @param key the lock key
	 * @param options the options
	 * @param action the action
	 * @return the action's result, or empty if the lock was not acquired (or the action returned null)
	 * @throws E if the action fails (the lock is released first)
	 * @throws LockLostException if the lease was lost while the action ran
	 */
	<T, E extends Exception> Optional<T> tryWithLock(String key, LockOptions options, LockedCallable<T, E> action)
			throws E;

	/**
	 * Acquires {@code key} with the default options without blocking the calling thread, then calls
	 * {@code action} and holds the lock until the stage it returns completes. See
	 * {@link #withLockAsync(String, LockOptions, Supplier)}.
	 * @param <T> the result type
	 * @param key the lock key
	 * @param action starts the locked work and returns its stage
	 * @return a future completed with the stage's result once the lock is released
	 */
	<T> CompletableFuture<T> withLockAsync(String key, Supplier<? extends CompletionStage<T>> action);

	/**
	 * Acquires {@code key} with {@code options} without blocking the calling thread, then calls
	 * {@code action} and holds the lock until the stage it returns completes (normally, exceptionally or
	 * cancelled); the lock is then released exactly once, on the thread that completed the stage, and the
	 * returned future completes with the stage's outcome.
	 *
	 * <p>The acquisition (and the call to {@code action}) runs on the service's bounded async executor
	 * (see {@code Locksmith.Builder#asyncExecutor}). The returned future fails with
	 * {@link LockNotAcquiredException} if the lock was not acquired within the wait time,
	 * {@link java.util.concurrent.RejectedExecutionException} if the executor is saturated, with whatever
	 * {@code action} throws (the lock released first), with {@link IllegalStateException} if it returns
	 * {@code null}, and with {@link LockLostException} if the lease was lost before the stage completed
	 * (added as suppressed when the stage failed itself). Cancelling the returned future before the lock is
	 * acquired gives the lock up as soon as it is granted, without calling {@code action}; afterwards it
	 * cancels the action's stage where that stage supports it, and the lock is still held until that stage
	 * completes.
	 * @param <T> the result type
	 * @param key the lock key
	 * @param options the options
	 * @param action starts the locked work and returns its stage
	 * @return a future completed with the stage's result once the lock is released
	 * @throws IllegalArgumentException if the key is blank (thrown at once, nothing is acquired)
	 */
	<T> CompletableFuture<T> withLockAsync(String key, LockOptions options,
			Supplier<? extends CompletionStage<T>> action);

	/**
	 * Acquires every key of {@code keys} with {@code options}, all or nothing, waiting up to the options'
	 * wait time in total. Duplicate keys are merged (the set is locked once per distinct key); the keys are
	 * acquired in ascending {@link String#compareTo} order whatever order they are given in, so two callers
	 * locking overlapping sets never deadlock. If a key cannot be acquired, the keys already taken are
	 * released before this throws.
	 * @param keys the keys, 1 to {@value MultiLockHandle#MAX_KEYS} distinct, none blank
	 * @param options the options, applied to every key (the wait time is shared)
	 * @return one handle over all keys; close it to release them all
	 * @throws IllegalArgumentException if {@code keys} is empty, too large or holds a blank key
	 * @throws LockNotAcquiredException if a key was not acquired within the wait time
	 * @throws LockAlreadyHeldException if this thread already holds one of the keys
	 * @throws LockProviderUnavailableException if the backend stayed unreachable for the wait time
	 */
	MultiLockHandle acquireAll(Collection<String> keys, LockOptions options);

	/**
	 * Like {@link #acquireAll}, but returns empty instead of throwing when a key was not acquired within the
	 * wait time (the keys already taken are released).
	 * @param keys the keys, 1 to {@value MultiLockHandle#MAX_KEYS} distinct, none blank
	 * @param options the options, applied to every key (the wait time is shared)
	 * @return the handle over all keys, or empty
	 * @throws IllegalArgumentException if {@code keys} is empty, too large or holds a blank key
	 */
	Optional<MultiLockHandle> tryAcquireAll(Collection<String> keys, LockOptions options);

	/**
	 * Acquires every key of {@code keys} (see {@link #acquireAll}), runs the action and releases them all,
	 * whatever the action does.
	 * @param <T> the result type
	 * @param <E> the action's exception type
	 * @param keys the keys, 1 to {@value MultiLockHandle#MAX_KEYS} distinct, none blank
	 * @param options the options, applied to every key (the wait time is shared)
	 * @param action the action
	 * @return the action's result
	 * @throws E if the action fails (the locks are released first)
	 * @throws LockNotAcquiredException if a key was not acquired within the wait time
	 * @throws LockLostException if a key was lost while the action ran (thrown after it returned)
	 */
	<T, E extends Exception> T withLocks(Collection<String> keys, LockOptions options, LockedCallable<T, E> action)
			throws E;

	/**
	 * Runs {@code action} while holding every one of {@code keys}, as
	 * {@link #withLocks(Collection, LockOptions, LockedCallable)} does, for an action that returns nothing.
	 * @param <E> the action's exception type
	 * @param keys the keys, 1 to {@value MultiLockHandle#MAX_KEYS} distinct, none blank
	 * @param options the options, applied to every key (the wait time is shared)
	 * @param action the action
	 * @throws E if the action fails (the locks are released first)
	 * @throws LockNotAcquiredException if a key was not acquired within the wait time
	 * @throws LockLostException if a key was lost while the action ran (thrown after it returned)
	 */
	default <E extends Exception> void withLocks(Collection<String> keys, LockOptions options, LockedRunnable<E> action)
			throws E {
		Objects.requireNonNull(action, "action must not be null");
		withLocks(keys, options, () -> {
			action.run();
			return null;
		});
	}

	/**
	 * Acquires {@code key} with the default options, waiting up to the default wait time.
	 * @param key the lock key
	 * @return the handle; close it to release
	 * @throws LockNotAcquiredException if the lock was not acquired within the wait time
	 */
	LockHandle acquire(String key);

	/**
	 * Acquires {@code key}, waiting up to the options' wait time.
	 * @param key the lock key
	 * @param options the options
	 * @return the handle; close it to release
	 * @throws LockNotAcquiredException if the lock was not acquired within the wait time
	 * @throws LockProviderUnavailableException if the backend stayed unreachable for the wait time
	 */
	LockHandle acquire(String key, LockOptions options);

	/**
	 * Tries once to acquire {@code key} with the default options, without waiting.
	 * @param key the lock key
	 * @return the handle, or empty if someone else holds the key
	 */
	Optional<LockHandle> tryAcquire(String key);

	/**
	 * Tries to acquire {@code key}, waiting up to the options' wait time.
	 * @param key the lock key
	 * @param options the options
	 * @return the handle, or empty if not acquired within the wait time
	 */
	Optional<LockHandle> tryAcquire(String key, LockOptions options);

	/**
	 * Acquires a lease that this service does not track or renew: the caller keeps its id and releases it
	 * with {@link #releaseLease} or extends it with {@link #extendLease}, from any instance; otherwise it
	 * expires after its TTL. Meant for stateless callers such as the lock service and the CLI.
	 * @param key the lock key
	 * @param options the options (auto-extension does not apply)
	 * @return the lease, or empty if not acquired within the wait time
	 */
	Optional<LeaseInfo> acquireDetached(String key, LockOptions options);

	/**
	 * Releases a lease by its id, whoever took it. Nothing happens unless that exact lease still holds
	 * {@code key}.
	 * @param key the lock key
	 * @param leaseId the lease id
	 * @return {@code true} if the lease was held and is now released
	 */
	boolean releaseLease(String key, String leaseId);

	/**
	 * Extends a lease by its id so that it expires {@code ttl} from now.
	 * @param key the lock key
	 * @param leaseId the lease id
	 * @param ttl the new time to live, positive
	 * @return {@code true} if the lease was held and is now extended
	 */
	boolean extendLease(String key, String leaseId, Duration ttl);

	/**
	 * Returns the read-write lock of the given name.
	 * @param name the lock name (its key)
	 * @return the read-write lock
	 */
	DistributedReadWriteLock readWrite(String name);

	/**
	 * Returns the semaphore of the given name with {@code permits} permits in total. Every process must
	 * use the same number for the same name.
	 * @param name the semaphore name (its key)
	 * @param permits the total number of permits, at least 1
	 * @return the semaphore
	 */
	DistributedSemaphore semaphore(String name, int permits);

	/**
	 * Returns whether anyone, in any process, holds {@code key} now.
	 * @param key the lock key
	 * @return {@code true} if locked
	 */
	boolean isLocked(String key);

	/**
	 * Returns how many leases this service instance holds now.
	 * @return the number of held leases
	 */
	int activeLockCount();

	/**
	 * Returns the leases this service instance holds now.
	 * @return the held handles, in acquisition order
	 */
	List<LockHandle> heldLocks();

	/**
	 * Reads {@code key}'s state from the backend: holder, owner metadata, fencing token, lockedAt,
	 * expiresAt and phase, whichever process holds it.
	 * @param key the lock key
	 * @return the state
	 */
	LockInfo inspect(String key);

	/**
	 * Lists held keys from the backend, ordered by key.
	 * @param offset how many keys to skip
	 * @param limit the most keys to return, at least 1
	 * @return the page
	 */
	default LockPage list(int offset, int limit) {
		return list("", offset, limit);
	}

	/**
	 * Lists held keys that start with {@code keyPrefix} from the backend, ordered by key. The filter runs
	 * on the backend (a key pattern or an SQL prefix), so other keys cost nothing.
	 * @param keyPrefix the prefix of the keys to list (empty for all)
	 * @param offset how many keys to skip
	 * @param limit the most keys to return, at least 1
	 * @return the page
	 */
	LockPage list(String keyPrefix, int offset, int limit);

	/**
	 * Removes every lease on {@code key}, whoever holds it. An administrative escape hatch: the holders
	 * find out at their next renewal and report the lease lost.
	 * @param key the lock key
	 * @return {@code true} if anything was removed
	 */
	boolean forceRelease(String key);

	/**
	 * Returns counters of what this service instance has done.
	 * @return a snapshot of the statistics
	 */
	LockStatistics statistics();

	/**
	 * Returns the name of the backend (for example {@code memory} or {@code redis}).
	 * @return the provider name
	 */
	String providerName();

	/**
	 * Returns the owner id this instance stores with its leases.
	 * @return the owner id
	 */
	String ownerId();

}
