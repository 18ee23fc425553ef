package dev.locksmith;

/**
 * Thrown when extending a lease that is no longer held by its handle (already released, or taken over).
 */
public class LockNotHeldException extends LockException {

	/**
	 * Creates an exception for {@code key}.
	 * @param key the lock key
	 * @param message the detail message
	 */
	public LockNotHeldException(String key, String message) {
		super(key, message, null);
	}

}
