package dev.locksmith;

import dev.locksmith.spi.KeyText;

import java.time.Duration;

/**
 * Thrown when a thread tries to acquire a lock it already holds. Locks are not reentrant: instead of
 * deadlocking on itself, the second acquisition fails at once. (The {@code @DistributedLock} aspect
 * lets a nested call on the same key join the outer lease instead.)
 */
public class LockAlreadyHeldException extends LockNotAcquiredException {

	/**
	 * Creates an exception for {@code key}.
	 * @param key the lock key
	 */
	public LockAlreadyHeldException(String key) {
		super(key, Duration.ZERO, "Lock '" + KeyText.forMessage(key)
				+ "' is already held by this thread; locks are not reentrant (release the first handle or reuse it)");
	}

}
