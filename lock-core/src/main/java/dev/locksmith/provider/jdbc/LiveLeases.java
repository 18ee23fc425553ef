package dev.locksmith.provider.jdbc;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.LeaseRequest;

/**
 * What table mode read about one key's leases: the live ones counted by kind with the shortest remaining TTL,
 * whether expired rows exist, and the token of the request's own live lease when it was sent before.
 */
final class LiveLeases {

	private int writers;

	private int readers;

	private int permits;

	private long minRemaining = Long.MAX_VALUE;

	boolean anyExpired;

	/** The token of the request's own live lease (the request was sent before), else 0. */
	long mineToken;

	/**
	 * How long the key's wait flag (PostgreSQL) still lasts, read in the same snapshot as the leases; negative
	 * when it is down, {@link Long#MIN_VALUE} when it was not read.
	 */
	long flagRemainingMillis = Long.MIN_VALUE;

	void add(LeaseType type, int count, long remainingMillis) {
		switch (type) {
			case WRITE -> this.writers++;
			case READ -> this.readers++;
			case PERMITS -> this.permits += count;
		}
		this.minRemaining = Math.min(this.minRemaining, remainingMillis);
	}

	/**
	 * Counts a live lease that blocks every request (the request's own lease id, held with another type or
	 * permit count).
	 */
	void addBlocker(long remainingMillis) {
		add(LeaseType.WRITE, 1, remainingMillis);
	}

	/**
	 * Returns -1 if the request fits, else the shortest remaining TTL among the live leases (when the
	 * first of them runs out, the request may fit).
	 */
	long conflictRemainingMillis(LeaseRequest request) {
		boolean fits = switch (request.type()) {
			case WRITE -> this.writers == 0 && this.readers == 0 && this.permits == 0;
			case READ -> this.writers == 0 && this.permits == 0;
			case PERMITS -> this.writers == 0 && this.readers == 0 && this.permits + request.permits() <= request.limit();
		};
		return fits ? -1 : this.minRemaining;
	}

	/**
	 * Returns whether the wait flag outlasts a retry hint by half its slack, so that a denial with that hint
	 * needs no write (a release before the waiter retries notifies).
	 */
	boolean flagCovers(long hintMillis) {
		return this.flagRemainingMillis != Long.MIN_VALUE
				&& this.flagRemainingMillis >= hintMillis + PostgresTableStatements.WAIT_FLAG_SLACK_MILLIS / 2;
	}

}
