package dev.locksmith;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * Something that happened to a lock in this service instance, delivered to {@link LockListener}s.
 *
 * @param type what happened
 * @param key the lock key
 * @param name the lock's metrics name (low cardinality; the key when no name was given)
 * @param provider the provider name
 * @param duration for {@link Type#ACQUIRED} and {@link Type#FAILED} the time spent acquiring; for
 * {@link Type#RELEASED} and {@link Type#LOST} the time the lease was held; otherwise zero
 * @param handle the lease concerned, or {@code null} for {@link Type#FAILED}
 * @param error the backend error for {@link Type#FAILED} or {@link Type#RENEW_FAILED}, if any
 */
public record LockEvent(Type type, String key, String name, String provider, Duration duration,
		@Nullable LockHandle handle, @Nullable Throwable error) {

	/**
	 * The kinds of lock events.
	 */
	public enum Type {

		/** A lease was granted. */
		ACQUIRED,

		/** An acquisition gave up: not acquired within the wait time, or the backend failed. */
		FAILED,

		/** A held lease was released by its holder. */
		RELEASED,

		/** A held lease was lost: expired, taken over, or its backend connection died. */
		LOST,

		/** A renewal extended a held lease. */
		RENEWED,

		/** A renewal could not reach the backend (the lease is kept until its local deadline). */
		RENEW_FAILED

	}

}
