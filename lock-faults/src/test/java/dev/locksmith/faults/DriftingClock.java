package dev.locksmith.faults;

import java.time.Instant;

import dev.locksmith.LockClock;

/**
 * A monotonic clock that runs fast or slow by a fixed rate, to give one client a drifting clock through
 * the public {@code Locksmith.builder(...).clock(...)}. The engine allows 1% + 2 ms of drift; the suite
 * stays within it.
 */
final class DriftingClock implements LockClock {

	private final double rate;

	private final long origin = System.nanoTime();

	/**
	 * Creates a clock.
	 * @param rate how many clock nanoseconds pass per real one (1.009 runs 0.9% fast)
	 */
	DriftingClock(double rate) {
		if (rate <= 0) {
			throw new IllegalArgumentException("DriftingClock rate must be positive, was " + rate);
		}
		this.rate = rate;
	}

	@Override
	public long nanoTime() {
		return this.origin + (long) ((System.nanoTime() - this.origin) * this.rate);
	}

	@Override
	public Instant now() {
		return Instant.now();
	}

}
