package dev.locksmith;

/**
 * What {@link LockHandle#release()} found. Releasing is never a silent success: a lease that had been
 * lost says so.
 */
public enum ReleaseOutcome {

	/** The lease was held and is now released (or kept until its minimum hold ends). */
	RELEASED,

	/**
	 * This handle had already been released (or its loss already reported by a release); nothing was done.
	 * Never returned after a release that failed: calling release again then retries it.
	 */
	ALREADY_RELEASED,

	/** The lease had been lost (expired or taken over) before the release; the backend was not changed. */
	LOST

}
