package dev.locksmith.boot.event;

import org.springframework.context.ApplicationEventPublisher;

import dev.locksmith.LockEvent;
import dev.locksmith.LockListener;

/**
 * The {@link LockListener} that publishes lock events as {@link LockApplicationEvent}s: ACQUIRED as
 * {@link LockAcquiredEvent}, RELEASED as {@link LockReleasedEvent}, LOST as {@link LockLostEvent}, FAILED as
 * {@link LockNotAcquiredEvent} and RENEW_FAILED as {@link LockRenewalFailedEvent}; successful renewals are
 * not published. Registered when {@code locksmith.events.enabled} is true.
 */
public final class LockApplicationEventPublisher implements LockListener {

	private final ApplicationEventPublisher publisher;

	/**
	 * Creates the listener.
	 * @param publisher where to publish
	 */
	public LockApplicationEventPublisher(ApplicationEventPublisher publisher) {
		this.publisher = publisher;
	}

	@Override
	public void onEvent(LockEvent event) {
		LockApplicationEvent published = switch (event.type()) {
			case ACQUIRED -> new LockAcquiredEvent(event);
			case RELEASED -> new LockReleasedEvent(event);
			case LOST -> new LockLostEvent(event);
			case FAILED -> new LockNotAcquiredEvent(event);
			case RENEW_FAILED -> new LockRenewalFailedEvent(event);
			case RENEWED -> null;
		};
		if (published != null) {
			this.publisher.publishEvent(published);
		}
	}

}
