package dev.locksmith.boot.event;

import dev.locksmith.LockEvent;

/**
 * A lock held by this application was lost: it expired, was taken over, or its backend connection died.
 * Fence or undo work done under it.
 */
public class LockLostEvent extends LockApplicationEvent {

	/**
	 * Creates the event.
	 * @param event the engine's event
	 */
	public LockLostEvent(LockEvent event) {
		super(event);
	}

}
