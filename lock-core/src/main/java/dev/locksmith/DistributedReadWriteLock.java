package dev.locksmith;

import java.util.Optional;

/**
 * A read-write lock on one name: many readers at once or one writer. Each read or write acquisition is
 * its own lease with its own handle, TTL and fencing token. The write side is the same lock as a
 * mutex of the same name. Obtained from {@link MutexService#readWrite(String)}.
 */
public interface DistributedReadWriteLock {

	/**
	 * Returns the name of this lock.
	 * @return the name
	 */
	String name();

	/**
	 * Acquires a read lease with the service's default options.
	 * @return the handle
	 * @throws LockNotAcquiredException if a writer holds the lock beyond the wait time
	 */
	LockHandle read();

	/**
	 * Acquires a read lease.
	 * @param options the options
	 * @return the handle
	 * @throws LockNotAcquiredException if a writer holds the lock beyond the wait time
	 */
	LockHandle read(LockOptions options);

	/**
	 * Tries to acquire a read lease, waiting up to the options' wait time.
	 * @param options the options
	 * @return the handle, or empty if not acquired
	 */
	Optional<LockHandle> tryRead(LockOptions options);

	/**
	 * Acquires the write lease with the service's default options.
	 * @return the handle
	 * @throws LockNotAcquiredException if readers or another writer hold the lock beyond the wait time
	 */
	LockHandle write();

	/**
	 * Acquires the write lease.
	 * @param options the options
	 * @return the handle
	 * @throws LockNotAcquiredException if readers or another writer hold the lock beyond the wait time
	 */
	LockHandle write(LockOptions options);

	/**
	 * Tries to acquire the write lease, waiting up to the options' wait time.
	 * @param options the options
	 * @return the handle, or empty if not acquired
	 */
	Optional<LockHandle> tryWrite(LockOptions options);

	/**
	 * Runs {@code action} under a read lease with the default options.
	 * @param <T> the result type
	 * @param <E> the action's exception type
	 * @param action the action
	 * @return the action's result
	 * @throws E if the action fails
	 */
	<T, E extends Exception> T withReadLock(LockedCallable<T, E> action) throws E;

	/**
	 * Runs {@code action} under the write lease with the default options.
	 * @param <T> the result type
	 * @param <E> the action's exception type
	 * @param action the action
	 * @return the action's result
	 * @throws E if the action fails
	 */
	<T, E extends Exception> T withWriteLock(LockedCallable<T, E> action) throws E;

}
