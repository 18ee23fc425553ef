package dev.locksmith.sim;

import java.time.Instant;

import dev.locksmith.LockClock;

/**
 * A client's clock: runs at {@code 1 + ppm/1e6} times the rate of master time, from an arbitrary
 * offset. The engine allows a drift of 1% + 2 ms per TTL, so the simulation keeps {@code ppm} within
 * [-9000, +10000] (a slow client clock is the dangerous one: its deadline passes later in true time).
 */
public final class DriftingClock implements LockClock {

	private static final long MILLION = 1_000_000L;

	private final SimTime master;

	private final long ppm;

	private final long masterStart;

	private final long localStart;

	/**
	 * Creates a clock.
	 * @param master the true time
	 * @param ppm the rate drift in parts per million
	 * @param localStart the local reading at the current master time
	 */
	public DriftingClock(SimTime master, long ppm, long localStart) {
		if (ppm < -9_000 || ppm > 10_000) {
			throw new IllegalArgumentException("drift outside the engine's allowance: " + ppm + " ppm");
		}
		this.master = master;
		this.ppm = ppm;
		this.masterStart = master.nanoTime();
		this.localStart = localStart;
	}

	/**
	 * Returns the drift.
	 * @return parts per million
	 */
	public long ppm() {
		return this.ppm;
	}

	@Override
	public long nanoTime() {
		return toLocal(this.master.nanoTime());
	}

	@Override
	public Instant now() {
		return SimTime.ORIGIN.plusNanos(nanoTime());
	}

	/**
	 * Maps a master time to this clock's reading (rounded down).
	 * @param masterNanos master time
	 * @return the local reading
	 */
	public long toLocal(long masterNanos) {
		long elapsed = masterNanos - this.masterStart;
		return this.localStart + Math.floorDiv(Math.multiplyExact(elapsed, MILLION + this.ppm), MILLION);
	}

	/**
	 * Maps a local duration to the master duration it takes (rounded up).
	 * @param localNanos a local duration
	 * @return the master duration
	 */
	public long toMasterDuration(long localNanos) {
		if (localNanos > Long.MAX_VALUE / (2 * MILLION)) {
			return Long.MAX_VALUE / 4;
		}
		return -Math.floorDiv(-Math.multiplyExact(localNanos, MILLION), MILLION + this.ppm);
	}

}
