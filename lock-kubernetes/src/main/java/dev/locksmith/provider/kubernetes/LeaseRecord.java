package dev.locksmith.provider.kubernetes;

import java.time.Instant;
import java.util.Map;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;

/**
 * One Locksmith lease as stored, in JSON, in the {@value KubernetesLockProvider#LEASES_ANNOTATION} annotation of
 * the key's Lease object. Times are epoch milliseconds of the writing client's clock.
 *
 * @param id the lease id
 * @param owner the owner id
 * @param type the lease type
 * @param permits permits held (1 unless PERMITS)
 * @param token the fencing token issued with the grant
 * @param lockedAt when it was granted
 * @param expiresAt when it expires unless extended
 * @param metadata the metadata stored with the lease
 */
record LeaseRecord(String id, String owner, LeaseType type, int permits, long token, long lockedAt, long expiresAt,
		Map<String, String> metadata) {

	boolean isLiveAt(long nowMillis) {
		return this.expiresAt > nowMillis;
	}

	LeaseRecord expiringAt(long newExpiresAt) {
		return new LeaseRecord(this.id, this.owner, this.type, this.permits, this.token, this.lockedAt, newExpiresAt,
				this.metadata);
	}

	LeaseRecord withPermits(int newPermits) {
		return new LeaseRecord(this.id, this.owner, this.type, newPermits, this.token, this.lockedAt, this.expiresAt,
				this.metadata);
	}

	LeaseInfo info() {
		return new LeaseInfo(this.id, this.owner, this.type, this.permits, this.token,
				Instant.ofEpochMilli(this.lockedAt), Instant.ofEpochMilli(this.expiresAt),
				(this.metadata != null) ? this.metadata : Map.of());
	}

}
