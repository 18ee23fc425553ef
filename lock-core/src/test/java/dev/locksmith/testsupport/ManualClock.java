package dev.locksmith.testsupport;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

import dev.locksmith.LockClock;

/**
 * A {@link LockClock} that only moves when a test advances it.
 */
public final class ManualClock implements LockClock {

	private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

	private final Instant origin = Instant.parse("2026-01-01T00:00:00Z");

	@Override
	public long nanoTime() {
		return this.nanos.get();
	}

	@Override
	public Instant now() {
		return this.origin.plusNanos(this.nanos.get());
	}

	/**
	 * Moves the clock forward.
	 * @param duration how far
	 */
	public void advance(Duration duration) {
		this.nanos.addAndGet(duration.toNanos());
	}

}
