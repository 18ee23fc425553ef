package dev.locksmith.sim;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

import dev.locksmith.LockClock;

/**
 * The simulation's true time ("master time"): the backend's clock. It only moves when the simulation
 * advances it (latency of a call, a time step, a waiter's sleep). Client clocks are derived from it
 * with a rate drift ({@link DriftingClock}).
 */
public final class SimTime implements LockClock {

	/** The wall instant of master time 0. */
	public static final Instant ORIGIN = Instant.parse("2026-01-01T00:00:00Z");

	private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

	@Override
	public long nanoTime() {
		return this.nanos.get();
	}

	@Override
	public Instant now() {
		return ORIGIN.plusNanos(this.nanos.get());
	}

	/**
	 * Moves master time forward.
	 * @param deltaNanos how far, not negative
	 */
	public void advance(long deltaNanos) {
		if (deltaNanos < 0) {
			throw new IllegalArgumentException("SimTime.advance: negative " + deltaNanos);
		}
		this.nanos.addAndGet(deltaNanos);
	}

}
