package dev.locksmith.leader;

/**
 * Told when this process becomes leader and when it stops being leader. For one election, calls come in
 * order on the election's own event thread (never on Locksmith's renewal thread), and every
 * {@link #granted} is followed by exactly one {@link #revoked} for the same term. A listener that throws
 * is logged; leadership is not changed by it.
 *
 * <p>A callback that blocks delays the next callbacks of the same election, not the election itself: the
 * candidate keeps renewing, stepping down and re-contending meanwhile. Use
 * {@link LeaderElection#isLeader()} when acting, rather than state remembered from a callback.
 */
public interface LeaderListener {

	/**
	 * Called when this process has become leader.
	 * @param leadership the term won
	 */
	default void granted(Leadership leadership) {
	}

	/**
	 * Called when this process is no longer leader for {@code leadership}'s term.
	 * @param leadership the term that ended
	 * @param reason why it ended
	 */
	default void revoked(Leadership leadership, RevocationReason reason) {
	}

}
