package dev.locksmith.spi;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * The answer to one acquisition attempt: granted with a fencing token, or denied with a hint of when
 * the conflicting holder's lease runs out.
 */
public final class Grant {

	private static final Grant DENIED_WITHOUT_HINT = new Grant(false, 0, null);

	private final boolean granted;

	private final long fencingToken;

	private final @Nullable Duration retryAfter;

	private Grant(boolean granted, long fencingToken, @Nullable Duration retryAfter) {
		this.granted = granted;
		this.fencingToken = fencingToken;
		this.retryAfter = retryAfter;
	}

	/**
	 * Returns a grant.
	 * @param fencingToken the token issued atomically with the grant
	 * @return the grant
	 */
	public static Grant granted(long fencingToken) {
		return new Grant(true, fencingToken, null);
	}

	/**
	 * Returns a denial with the remaining TTL of the lease that blocks the request, so a waiter can sleep
	 * until then at the latest.
	 * @param retryAfter the blocking lease's remaining TTL, or {@code null} if unknown
	 * @return the denial
	 */
	public static Grant denied(@Nullable Duration retryAfter) {
		return (retryAfter != null) ? new Grant(false, 0, retryAfter) : DENIED_WITHOUT_HINT;
	}

	/**
	 * Returns whether the lease was granted.
	 * @return {@code true} if granted
	 */
	public boolean isGranted() {
		return this.granted;
	}

	/**
	 * Returns the fencing token of a grant.
	 * @return the token (0 for a denial)
	 */
	public long fencingToken() {
		return this.fencingToken;
	}

	/**
	 * Returns a denial's hint: the blocking lease's remaining TTL.
	 * @return the hint, or {@code null} if unknown or granted
	 */
	public @Nullable Duration retryAfter() {
		return this.retryAfter;
	}

	@Override
	public String toString() {
		return this.granted ? "Grant[granted, token=" + this.fencingToken + "]"
				: "Grant[denied, retryAfter=" + this.retryAfter + "]";
	}

}
