package dev.locksmith.spi;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

import dev.locksmith.LeaseType;

/**
 * One acquisition attempt, as the engine hands it to {@link LockProvider#acquire}. Already validated.
 *
 * @param key the backend key (with the service's prefix)
 * @param type what to take
 * @param leaseId a fresh, unique lease id to store with the lease
 * @param owner the owner id to store with the lease
 * @param ttl the lease time to live, positive; expiry is measured by the backend's clock
 * @param permits permits to take (1 unless {@link LeaseType#PERMITS})
 * @param limit the semaphore's total permits (1 unless {@link LeaseType#PERMITS})
 * @param metadata metadata to store with the lease
 */
public record LeaseRequest(String key, LeaseType type, String leaseId, String owner, Duration ttl, int permits,
		int limit, Map<String, String> metadata) {

	/**
	 * Checks the components.
	 *
	 * @param key the backend key (with the service's prefix)
	 * @param type what to take
	 * @param leaseId a fresh, unique lease id to store with the lease
	 * @param owner the owner id to store with the lease
	 * @param ttl the lease time to live, positive; expiry is measured by the backend's clock
	 * @param permits permits to take (1 unless {@link LeaseType#PERMITS})
	 * @param limit the semaphore's total permits (1 unless {@link LeaseType#PERMITS})
	 * @param metadata metadata to store with the lease
	 */
	public LeaseRequest {
		Objects.requireNonNull(key, "key");
		Objects.requireNonNull(type, "type");
		Objects.requireNonNull(leaseId, "leaseId");
		Objects.requireNonNull(owner, "owner");
		Objects.requireNonNull(ttl, "ttl");
		metadata = Map.copyOf(metadata);
	}

	/**
	 * Returns the reference to the lease this request would create.
	 * @return the lease reference
	 */
	public LeaseRef ref() {
		return new LeaseRef(this.key, this.type, this.leaseId);
	}

}
