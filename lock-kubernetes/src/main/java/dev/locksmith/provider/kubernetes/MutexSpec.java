package dev.locksmith.provider.kubernetes;

import org.jspecify.annotations.Nullable;

/**
 * The desired state of a {@link Mutex}: only its default TTL.
 */
public class MutexSpec {

	private @Nullable String ttl;

	/**
	 * Creates an empty spec.
	 */
	public MutexSpec() {
	}

	/**
	 * Returns the default TTL of a lock on this mutex when the locker names none (a Kubernetes-style duration
	 * such as {@code 10m}, {@code 30s}, {@code 1h30m}).
	 * @return the TTL, or {@code null} for none
	 */
	public @Nullable String getTtl() {
		return this.ttl;
	}

	/**
	 * Sets the default TTL.
	 * @param ttl the TTL, or {@code null} for none
	 */
	public void setTtl(@Nullable String ttl) {
		this.ttl = ttl;
	}

}
