package dev.locksmith.boot.event;

import org.jspecify.annotations.Nullable;

import org.springframework.context.ApplicationEvent;

import dev.locksmith.LockEvent;
import dev.locksmith.LockHandle;

/**
 * A lock event of this application's {@code MutexService}, published as a Spring application event when
 * {@code locksmith.events.enabled} is true. The source is the engine's {@link LockEvent}. Published on the
 * thread where the engine reports the event: the caller's for its own acquisitions, releases and denials;
 * the service's callback executor for losses and renewals the renewal machinery found (never the renewal
 * thread). Listeners should be quick; use {@code @Async} for slow work.
 */
public abstract class LockApplicationEvent extends ApplicationEvent {

	/**
	 * Creates the event.
	 * @param event the engine's event
	 */
	protected LockApplicationEvent(LockEvent event) {
		super(event);
	}

	/**
	 * Returns the engine's event.
	 * @return the event
	 */
	public LockEvent getLockEvent() {
		return (LockEvent) getSource();
	}

	/**
	 * Returns the lock key.
	 * @return the key
	 */
	public String getKey() {
		return getLockEvent().key();
	}

	/**
	 * Returns the lock's low-cardinality name.
	 * @return the name
	 */
	public String getName() {
		return getLockEvent().name();
	}

	/**
	 * Returns the handle concerned.
	 * @return the handle, or {@code null} for a {@link LockNotAcquiredEvent}
	 */
	public @Nullable LockHandle getHandle() {
		return getLockEvent().handle();
	}

}
