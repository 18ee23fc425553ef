package dev.locksmith;

import org.jspecify.annotations.Nullable;

/**
 * Thrown when the lock backend cannot be reached or answered with an error. Locksmith never fails
 * open: the caller does not get the lock.
 */
public class LockProviderUnavailableException extends LockException {

	/**
	 * Creates an exception for {@code key}.
	 * @param key the lock key (or a description of the operation when no key applies)
	 * @param message the detail message
	 * @param cause the backend's error
	 */
	public LockProviderUnavailableException(String key, String message, @Nullable Throwable cause) {
		super(key, message, cause);
	}

}
