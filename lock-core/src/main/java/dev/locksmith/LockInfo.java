package dev.locksmith;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * A key's state across all instances, read from the backend: its phase and live leases (one for a
 * mutex or writer, several for readers or semaphore permits). The accessors {@link #holder()},
 * {@link #fencingToken()}, {@link #lockedAt()} and {@link #expiresAt()} describe the newest lease, which
 * for a mutex is the only one.
 *
 * @param key the lock key (without the service's key prefix)
 * @param phase whether anyone holds the key
 * @param leases the live leases, oldest first; empty when unlocked
 */
public record LockInfo(String key, LockPhase phase, List<LeaseInfo> leases) {

	/**
	 * Validates and copies the components.
	 *
	 * @param key the lock key (without the service's key prefix)
	 * @param phase whether anyone holds the key
	 * @param leases the live leases, oldest first; empty when unlocked
	 */
	public LockInfo {
		Objects.requireNonNull(key, "key");
		Objects.requireNonNull(phase, "phase");
		leases = List.copyOf(leases);
	}

	/**
	 * Returns the state of a key that nobody holds.
	 * @param key the key
	 * @return an unlocked info
	 */
	public static LockInfo unlocked(String key) {
		return new LockInfo(key, LockPhase.UNLOCKED, List.of());
	}

	/**
	 * Returns the state of a key with the given live leases ({@link LockPhase#UNLOCKED} if there are none).
	 * @param key the key
	 * @param leases the live leases
	 * @return the info
	 */
	public static LockInfo of(String key, List<LeaseInfo> leases) {
		return new LockInfo(key, leases.isEmpty() ? LockPhase.UNLOCKED : LockPhase.LOCKED, leases);
	}

	/**
	 * Returns whether anyone holds the key.
	 * @return {@code true} if locked
	 */
	public boolean isLocked() {
		return this.phase == LockPhase.LOCKED;
	}

	/**
	 * Returns the owner of the newest lease.
	 * @return the holder's owner id, or {@code null} when unlocked
	 */
	public @Nullable String holder() {
		LeaseInfo newest = newest();
		return (newest != null) ? newest.owner() : null;
	}

	/**
	 * Returns the fencing token of the newest lease.
	 * @return the token, or {@code null} when unlocked
	 */
	public @Nullable Long fencingToken() {
		LeaseInfo newest = newest();
		return (newest != null) ? newest.fencingToken() : null;
	}

	/**
	 * Returns when the newest lease was granted.
	 * @return the time, or {@code null} when unlocked
	 */
	public @Nullable Instant lockedAt() {
		LeaseInfo newest = newest();
		return (newest != null) ? newest.lockedAt() : null;
	}

	/**
	 * Returns when the newest lease expires unless renewed.
	 * @return the time, or {@code null} when unlocked
	 */
	public @Nullable Instant expiresAt() {
		LeaseInfo newest = newest();
		return (newest != null) ? newest.expiresAt() : null;
	}

	/**
	 * Returns the metadata of the newest lease.
	 * @return the metadata, empty when unlocked
	 */
	public Map<String, String> metadata() {
		LeaseInfo newest = newest();
		return (newest != null) ? newest.metadata() : Map.of();
	}

	private @Nullable LeaseInfo newest() {
		return this.leases.isEmpty() ? null : this.leases.get(this.leases.size() - 1);
	}

}
