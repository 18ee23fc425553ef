package dev.locksmith;

import java.time.Duration;

/**
 * A snapshot of what one service instance has done since it started: vendor-neutral counters to export
 * to any monitoring system.
 *
 * @param acquired successful acquisitions
 * @param failed acquisitions that gave up (not acquired within the wait time, or backend failure)
 * @param released leases released by their holders
 * @param lost leases lost while held
 * @param renewSuccess renewals that extended a lease
 * @param renewFailed renewals that could not reach the backend
 * @param active leases held now
 * @param totalHoldTime the summed hold time of released and lost leases
 */
public record LockStatistics(long acquired, long failed, long released, long lost, long renewSuccess,
		long renewFailed, int active, Duration totalHoldTime) {
}
