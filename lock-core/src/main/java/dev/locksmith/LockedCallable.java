package dev.locksmith;

/**
 * An action run while a lock is held that returns a result. Its checked exception type is inferred,
 * so a lambda that throws none needs no {@code try}.
 *
 * @param <T> the result type
 * @param <E> the exception the action may throw
 */
@FunctionalInterface
public interface LockedCallable<T, E extends Exception> {

	/**
	 * Runs the action.
	 * @return the result
	 * @throws E if the action fails
	 */
	T call() throws E;

}
