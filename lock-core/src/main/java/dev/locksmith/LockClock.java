package dev.locksmith;

import java.time.Instant;

/**
 * The time source of a service instance and the in-memory provider: a monotonic clock for deadlines
 * and a wall clock for display. Tests inject a manual clock to expire leases without sleeping.
 */
public interface LockClock {

	/**
	 * Returns a monotonic time in nanoseconds, for measuring durations only (like {@link System#nanoTime()}).
	 * @return the monotonic time
	 */
	long nanoTime();

	/**
	 * Returns the wall-clock time, for display.
	 * @return the current instant
	 */
	Instant now();

	/**
	 * Returns the system clock.
	 * @return a clock backed by {@link System#nanoTime()} and {@link Instant#now()}
	 */
	static LockClock system() {
		return SystemLockClock.INSTANCE;
	}

}
