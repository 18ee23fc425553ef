package dev.locksmith;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One live lease as the backend stores it, for inspection (actuator, lock service, CLI).
 *
 * @param leaseId the random id that identifies the lease; release and extend compare it
 * @param owner the owner id of the instance that took the lease
 * @param type what the lease holds
 * @param permits the number of permits held ({@code 1} for read and write leases)
 * @param fencingToken the fencing token issued with the grant
 * @param lockedAt when the lease was granted, by the backend's clock
 * @param expiresAt when the lease expires unless renewed, by the backend's clock
 * @param metadata the metadata stored with the lease
 */
public record LeaseInfo(String leaseId, String owner, LeaseType type, int permits, long fencingToken,
		Instant lockedAt, Instant expiresAt, Map<String, String> metadata) {

	/**
	 * Validates and copies the components.
	 *
	 * @param leaseId the random id that identifies the lease; release and extend compare it
	 * @param owner the owner id of the instance that took the lease
	 * @param type what the lease holds
	 * @param permits the number of permits held ({@code 1} for read and write leases)
	 * @param fencingToken the fencing token issued with the grant
	 * @param lockedAt when the lease was granted, by the backend's clock
	 * @param expiresAt when the lease expires unless renewed, by the backend's clock
	 * @param metadata the metadata stored with the lease
	 */
	public LeaseInfo {
		Objects.requireNonNull(leaseId, "leaseId");
		Objects.requireNonNull(owner, "owner");
		Objects.requireNonNull(type, "type");
		Objects.requireNonNull(lockedAt, "lockedAt");
		Objects.requireNonNull(expiresAt, "expiresAt");
		metadata = Map.copyOf(metadata);
	}

}
