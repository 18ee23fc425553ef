package dev.locksmith.leader;

/**
 * Why a candidate stopped being leader.
 */
public enum RevocationReason {

	/** It stepped down through {@link LeaderElection#yield()} and released its lease. */
	RELEASED,

	/**
	 * Its lease was lost: a renewal found it gone, or its local deadline passed (backend unreachable, or the
	 * process was paused). Another candidate may be leader already; the old term is stale.
	 */
	LOST,

	/** The election was stopped ({@link LeaderElection#stop()}) and the lease released. */
	STOPPED

}
