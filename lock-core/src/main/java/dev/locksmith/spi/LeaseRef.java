package dev.locksmith.spi;

import java.util.Objects;

import dev.locksmith.LeaseType;

/**
 * Names one lease on the backend: the key (with the service's prefix), its type and its lease id.
 * Release and extend act only when the backend holds exactly this lease id on this key.
 *
 * @param key the backend key
 * @param type the lease type
 * @param leaseId the lease id
 */
public record LeaseRef(String key, LeaseType type, String leaseId) {

	/**
	 * Checks the components.
	 *
	 * @param key the backend key
	 * @param type the lease type
	 * @param leaseId the lease id
	 */
	public LeaseRef {
		Objects.requireNonNull(key, "key");
		Objects.requireNonNull(type, "type");
		Objects.requireNonNull(leaseId, "leaseId");
	}

}
