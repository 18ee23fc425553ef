package dev.locksmith;

/**
 * Thrown when a lease was lost while held: it expired before it could be renewed, or the backend no
 * longer has it. Whatever ran under the lock may have overlapped with another holder; the fencing
 * token lets downstream systems reject the stale writer.
 */
public class LockLostException extends LockNotHeldException {

	/**
	 * Creates an exception for {@code key}.
	 * @param key the lock key
	 * @param message the detail message
	 */
	public LockLostException(String key, String message) {
		super(key, message);
	}

}
