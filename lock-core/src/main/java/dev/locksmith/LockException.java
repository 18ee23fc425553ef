package dev.locksmith;

import org.jspecify.annotations.Nullable;

/**
 * Base class of every exception Locksmith throws about a lock (bad input is reported with
 * {@link IllegalArgumentException} instead).
 */
public class LockException extends RuntimeException {

	/** The lock key the exception is about. */
	private final String key;

	/**
	 * Creates an exception about {@code key}.
	 * @param key the lock key
	 * @param message the detail message
	 * @param cause the cause, if any
	 */
	public LockException(String key, String message, @Nullable Throwable cause) {
		super(message, cause);
		this.key = key;
	}

	/**
	 * Returns the key of the lock this exception is about.
	 * @return the lock key
	 */
	public String getKey() {
		return this.key;
	}

}
