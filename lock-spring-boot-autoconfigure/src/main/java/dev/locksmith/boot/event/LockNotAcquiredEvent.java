package dev.locksmith.boot.event;

import org.jspecify.annotations.Nullable;

import dev.locksmith.LockEvent;

/**
 * An acquisition gave up: the lock was held elsewhere for the whole wait time (denied), or the backend
 * failed ({@link #getError()}).
 */
public class LockNotAcquiredEvent extends LockApplicationEvent {

	/**
	 * Creates the event.
	 * @param event the engine's event
	 */
	public LockNotAcquiredEvent(LockEvent event) {
		super(event);
	}

	/**
	 * Returns the backend failure, if any.
	 * @return the error, or {@code null} when the wait time ran out
	 */
	public @Nullable Throwable getError() {
		return getLockEvent().error();
	}

}
