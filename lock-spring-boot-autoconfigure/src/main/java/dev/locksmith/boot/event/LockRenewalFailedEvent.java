package dev.locksmith.boot.event;

import org.jspecify.annotations.Nullable;

import dev.locksmith.LockEvent;

/**
 * A renewal of a held lock could not reach the backend; the lease is kept until its local deadline, then
 * lost.
 */
public class LockRenewalFailedEvent extends LockApplicationEvent {

	/**
	 * Creates the event.
	 * @param event the engine's event
	 */
	public LockRenewalFailedEvent(LockEvent event) {
		super(event);
	}

	/**
	 * Returns why the renewal failed.
	 * @return the error, if the engine had one
	 */
	public @Nullable Throwable getError() {
		return getLockEvent().error();
	}

}
