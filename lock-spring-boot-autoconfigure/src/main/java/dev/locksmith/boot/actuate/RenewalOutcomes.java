package dev.locksmith.boot.actuate;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

import dev.locksmith.LockClock;
import dev.locksmith.LockEvent;
import dev.locksmith.LockListener;

/**
 * Remembers when a lease renewal last succeeded and last failed, so that health can be judged over a time
 * window instead of "since the previous check": reading it changes nothing, and any number of probes see
 * the same answer at the same moment. Times come from the injected {@link LockClock}'s monotonic clock.
 * Thread-safe: events arrive on the renewal thread, reads on any thread.
 */
public final class RenewalOutcomes implements LockListener {

	private final LockClock clock;

	private volatile @Nullable Long lastSuccessNanos;

	private volatile @Nullable Long lastFailureNanos;

	/**
	 * Creates an empty record (no renewal seen yet).
	 * @param clock the clock of the service instance whose events this receives
	 */
	public RenewalOutcomes(LockClock clock) {
		this.clock = clock;
	}

	@Override
	public void onEvent(LockEvent event) {
		if (event.type() == LockEvent.Type.RENEWED) {
			this.lastSuccessNanos = this.clock.nanoTime();
		}
		else if (event.type() == LockEvent.Type.RENEW_FAILED) {
			this.lastFailureNanos = this.clock.nanoTime();
		}
	}

	/**
	 * Returns whether renewals failed within the given window and none succeeded within it.
	 * @param window how far back to look; positive
	 * @return {@code true} when the last {@code window} saw renewal failures and no renewal success
	 */
	public boolean failingWithin(Duration window) {
		long now = this.clock.nanoTime();
		long windowNanos = window.toNanos();
		return within(this.lastFailureNanos, now, windowNanos) && !within(this.lastSuccessNanos, now, windowNanos);
	}

	private static boolean within(@Nullable Long at, long now, long windowNanos) {
		return at != null && now - at <= windowNanos;
	}

}
