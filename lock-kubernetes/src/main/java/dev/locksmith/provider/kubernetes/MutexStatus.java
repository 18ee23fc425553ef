package dev.locksmith.provider.kubernetes;

import java.util.ArrayList;
import java.util.List;

import io.fabric8.kubernetes.api.model.Condition;
import org.jspecify.annotations.Nullable;

/**
 * The observed state of a {@link Mutex}, written by the provider with every grant, extension and release (a
 * mirror for Kubernetes tools: the provider decides on the object's annotations, never on this).
 */
public class MutexStatus {

	private @Nullable String holder;

	private @Nullable String lockedAt;

	private @Nullable String expiresAt;

	private @Nullable String phase;

	private @Nullable Long fencingToken;

	private List<Condition> conditions = new ArrayList<>();

	/**
	 * Creates an empty status.
	 */
	public MutexStatus() {
	}

	/**
	 * Returns the holder's owner id (several, comma-separated, for readers or semaphore permits).
	 * @return the holder, or {@code null} when unlocked
	 */
	public @Nullable String getHolder() {
		return this.holder;
	}

	/**
	 * Sets the holder.
	 * @param holder the holder, or {@code null}
	 */
	public void setHolder(@Nullable String holder) {
		this.holder = holder;
	}

	/**
	 * Returns when the current holder was granted the mutex (RFC 3339, the granting client's clock).
	 * @return the time, or {@code null} when unlocked
	 */
	public @Nullable String getLockedAt() {
		return this.lockedAt;
	}

	/**
	 * Sets when the mutex was locked.
	 * @param lockedAt the time, or {@code null}
	 */
	public void setLockedAt(@Nullable String lockedAt) {
		this.lockedAt = lockedAt;
	}

	/**
	 * Returns when the current lease expires unless renewed (RFC 3339).
	 * @return the time, or {@code null} when unlocked
	 */
	public @Nullable String getExpiresAt() {
		return this.expiresAt;
	}

	/**
	 * Sets the expiry.
	 * @param expiresAt the time, or {@code null}
	 */
	public void setExpiresAt(@Nullable String expiresAt) {
		this.expiresAt = expiresAt;
	}

	/**
	 * Returns the phase, {@value Mutex#UNLOCKED} or {@value Mutex#LOCKED}.
	 * @return the phase, or {@code null} before the first lock
	 */
	public @Nullable String getPhase() {
		return this.phase;
	}

	/**
	 * Sets the phase.
	 * @param phase the phase
	 */
	public void setPhase(@Nullable String phase) {
		this.phase = phase;
	}

	/**
	 * Returns the last fencing token issued on this mutex.
	 * @return the token, or {@code null} before the first lock
	 */
	public @Nullable Long getFencingToken() {
		return this.fencingToken;
	}

	/**
	 * Sets the last fencing token.
	 * @param fencingToken the token
	 */
	public void setFencingToken(@Nullable Long fencingToken) {
		this.fencingToken = fencingToken;
	}

	/**
	 * Returns the conditions (a {@code Ready} condition).
	 * @return the conditions
	 */
	public List<Condition> getConditions() {
		return this.conditions;
	}

	/**
	 * Sets the conditions.
	 * @param conditions the conditions
	 */
	public void setConditions(@Nullable List<Condition> conditions) {
		this.conditions = (conditions != null) ? conditions : new ArrayList<>();
	}

}
