package dev.locksmith.boot.event;

import dev.locksmith.LockEvent;

/**
 * A lock held by this application was released by its holder.
 */
public class LockReleasedEvent extends LockApplicationEvent {

	/**
	 * Creates the event.
	 * @param event the engine's event
	 */
	public LockReleasedEvent(LockEvent event) {
		super(event);
	}

}
