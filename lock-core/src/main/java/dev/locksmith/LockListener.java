package dev.locksmith;

/**
 * Receives every {@link LockEvent} of a service instance; the Spring Boot starter turns them into
 * Micrometer meters. Called synchronously on the thread where the event happened (the caller's, or the
 * renewal thread), so implementations must be fast and must not throw; an exception is logged and
 * ignored.
 */
@FunctionalInterface
public interface LockListener {

	/**
	 * Handles one event.
	 * @param event the event
	 */
	void onEvent(LockEvent event);

}
