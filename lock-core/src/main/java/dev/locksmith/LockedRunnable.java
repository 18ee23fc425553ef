package dev.locksmith;

/**
 * An action run while a lock is held that returns nothing.
 *
 * @param <E> the exception the action may throw
 */
@FunctionalInterface
public interface LockedRunnable<E extends Exception> {

	/**
	 * Runs the action.
	 * @throws E if the action fails
	 */
	void run() throws E;

}
