package dev.locksmith.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * One lease to extend in a {@link LockProvider#renew batched renewal}.
 *
 * @param lease the lease
 * @param ttl the new time to live, from the backend's now
 */
public record Renewal(LeaseRef lease, Duration ttl) {

	/**
	 * Checks the components.
	 *
	 * @param lease the lease
	 * @param ttl the new time to live, from the backend's now
	 */
	public Renewal {
		Objects.requireNonNull(lease, "lease");
		Objects.requireNonNull(ttl, "ttl");
	}

}
