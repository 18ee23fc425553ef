package dev.locksmith.boot.event;

import dev.locksmith.LockEvent;

/**
 * A lock was acquired by this application (published before the handle is returned to the caller).
 */
public class LockAcquiredEvent extends LockApplicationEvent {

	/**
	 * Creates the event.
	 * @param event the engine's event
	 */
	public LockAcquiredEvent(LockEvent event) {
		super(event);
	}

}
