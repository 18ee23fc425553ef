package dev.locksmith.provider.kubernetes;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The pause before reading a key's object again after a 409 (another client wrote it between this client's read
 * and its conditional write). The first re-read is immediate: the other client's write usually settles the
 * decision (the key is now held). Further conflicts in a row mean several clients keep writing the same object
 * (readers, permit holders, renewals); each waits a random time up to a bound that doubles from 1 ms to
 * {@value #MAX_PAUSE_MILLIS} ms, so they stop colliding in lock step. With the provider's 64 attempts the pauses
 * add at most about two seconds before a call gives up as an outage.
 */
final class ConflictBackoff {

	/** The longest pause between two attempts, in milliseconds. */
	static final long MAX_PAUSE_MILLIS = 32;

	private ConflictBackoff() {
	}

	/**
	 * The pause after a number of conflicts in a row.
	 * @param conflicts conflicts so far in this call (1 after the first)
	 * @param random a number in [0, 1)
	 * @return the pause in microseconds: 0 after the first conflict, then up to 1, 2, 4, ... ms, at most
	 * {@value #MAX_PAUSE_MILLIS} ms
	 */
	static long pauseMicros(int conflicts, double random) {
		if (conflicts <= 1) {
			return 0;
		}
		long boundMillis = Math.min(1L << Math.min(conflicts - 2, 20), MAX_PAUSE_MILLIS);
		return (long) (boundMillis * 1000 * random);
	}

	/** Pauses the calling thread after {@code conflicts} conflicts in a row (returns early if interrupted). */
	static void pause(int conflicts) {
		long micros = pauseMicros(conflicts, ThreadLocalRandom.current().nextDouble());
		if (micros > 0) {
			LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(micros));
		}
	}

}
