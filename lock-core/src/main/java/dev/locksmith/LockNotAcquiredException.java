package dev.locksmith;

import dev.locksmith.spi.KeyText;

import java.time.Duration;

/**
 * Thrown when a lock could not be acquired within the wait time because someone else holds it.
 */
public class LockNotAcquiredException extends LockException {

	/** How long the caller waited. */
	private final Duration waited;

	/**
	 * Creates an exception for {@code key} after waiting {@code waited}.
	 * @param key the lock key
	 * @param waited how long the caller waited
	 */
	public LockNotAcquiredException(String key, Duration waited) {
		this(key, waited, "Lock '" + KeyText.forMessage(key) + "' is held by another owner (waited " + waited.toMillis() + " ms)");
	}

	/**
	 * Creates an exception with a custom message.
	 * @param key the lock key
	 * @param waited how long the caller waited
	 * @param message the detail message
	 */
	public LockNotAcquiredException(String key, Duration waited, String message) {
		super(key, message, null);
		this.waited = waited;
	}

	/**
	 * Returns how long the caller waited before giving up.
	 * @return the time waited
	 */
	public Duration getWaited() {
		return this.waited;
	}

}
