package dev.locksmith.sim;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import dev.locksmith.LeaseType;
import dev.locksmith.LockHandle;
import dev.locksmith.ReleaseOutcome;

/**
 * What the harness knows about one handle the engine returned: the handle itself, what the caller did
 * with it, how often its {@code onLost} callback ran, and what the checker observed of its lease. Written
 * by the harness thread; {@link #lostFired} and {@link #lostAtMaster} also by the thread that runs the
 * callback.
 */
public final class TrackedHandle {

	final int client;

	final LockHandle handle;

	final String backendKey;

	final LeaseType type;

	final boolean autoExtend;

	/** The TTL the backend now applies (the acquisition's, then the last successful extend's). */
	Duration ttl;

	final long acquiredAtMaster;

	/** The backend epoch (restart count) at acquisition. */
	final int epoch;

	/** The client's fault count at acquisition: more faults since then exempt it from invariant 3. */
	long faultsAtAcquire;

	final AtomicInteger lostFired = new AtomicInteger();

	volatile long lostAtMaster = Long.MIN_VALUE;

	/** The outcome of the caller's release(), or null while not released by the caller. */
	ReleaseOutcome outcome;

	/** The minimum hold: a release before it ends leaves the lease on the backend until then. */
	long minHoldNanos;

	/** When the caller's release() returned (master nanos). */
	long releasedAtMaster = Long.MIN_VALUE;

	/** Whether the caller's release() threw (the lease may still be on the backend). */
	boolean releaseThrew;

	/** Whether the engine's close() released it (outcome then inferred from the backend calls). */
	boolean closedByEngine;

	/** The last backend expiry seen while the lease was on the backend (master nanos). */
	long lastSeenExpiry = Long.MIN_VALUE;

	/** When the checker first saw the lease gone from the backend while the handle was live. */
	long backendLostAt = Long.MIN_VALUE;

	/** The client's fault count when the lease was seen gone: a failed call since then excuses a late onLost. */
	long faultsAtBackendLoss;

	/** The local deadline mapped to master time, last computed while the handle was valid. */
	long deadlineMaster = Long.MIN_VALUE;

	/** The renewal interval in master time at the last observation (a third of the TTL, with drift). */
	long renewIntervalMaster;

	/** The lease's own renewal period, or 0 for the default (a third of the TTL). */
	long renewalPeriodNanos;

	TrackedHandle(int client, LockHandle handle, String backendKey, boolean autoExtend, Duration ttl,
			long acquiredAtMaster, int epoch, long faultsAtAcquire) {
		this.client = client;
		this.handle = handle;
		this.backendKey = backendKey;
		this.type = handle.type();
		this.autoExtend = autoExtend;
		this.ttl = ttl;
		this.acquiredAtMaster = acquiredAtMaster;
		this.epoch = epoch;
		this.faultsAtAcquire = faultsAtAcquire;
	}

	/**
	 * Returns whether the caller still holds it: not released, not lost, not closed.
	 * @return true if live
	 */
	public boolean live() {
		return this.outcome == null && !this.releaseThrew && !this.closedByEngine && this.lostFired.get() == 0;
	}

	/**
	 * Returns the handle.
	 * @return the handle
	 */
	public LockHandle handle() {
		return this.handle;
	}

	@Override
	public String toString() {
		return "client " + this.client + " " + this.type + " handle on '" + this.backendKey + "' (lease "
				+ this.handle.leaseId() + ", token " + this.handle.fencingToken() + ", ttl " + this.ttl.toMillis()
				+ " ms" + (this.autoExtend ? ", auto-extended" : "") + ", acquired at " + Simulation.ms(this.acquiredAtMaster)
				+ ")";
	}

}
