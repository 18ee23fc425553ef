package dev.locksmith.server;

import java.time.Instant;
import java.util.Objects;

/**
 * One held service lock as the lock service reports it.
 *
 * @param id the opaque id (see {@link LockId}); any instance resolves it
 * @param service the name of the locked resource or operation
 * @param who who holds the lock
 * @param createdAt when the lock was granted, by the backend's clock
 * @param expiresAt when the lock expires unless extended, by the backend's clock
 * @param fencingToken the fencing token issued with the grant, strictly increasing per service
 */
public record ServiceLock(String id, String service, String who, Instant createdAt, Instant expiresAt,
		long fencingToken) {

	/**
	 * Validates the components.
	 *
	 * @param id the opaque id (see {@link LockId}); any instance resolves it
	 * @param service the name of the locked resource or operation
	 * @param who who holds the lock
	 * @param createdAt when the lock was granted, by the backend's clock
	 * @param expiresAt when the lock expires unless extended, by the backend's clock
	 * @param fencingToken the fencing token issued with the grant, strictly increasing per service
	 */
	public ServiceLock {
		Objects.requireNonNull(id, "id");
		Objects.requireNonNull(service, "service");
		Objects.requireNonNull(who, "who");
		Objects.requireNonNull(createdAt, "createdAt");
		Objects.requireNonNull(expiresAt, "expiresAt");
	}

}
