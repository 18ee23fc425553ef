package dev.locksmith.sim;

import dev.locksmith.LeaseType;

/**
 * One live lease as the backend holds it, with its expiry in master time.
 *
 * @param key the backend key
 * @param leaseId the lease id
 * @param type the lease type
 * @param permits the permits it takes
 * @param token its fencing token
 * @param expiresAtMaster when the backend expires it (master nanos)
 */
public record BackendLease(String key, String leaseId, LeaseType type, int permits, long token,
		long expiresAtMaster) {
}
