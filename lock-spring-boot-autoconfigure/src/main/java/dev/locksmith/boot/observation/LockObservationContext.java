package dev.locksmith.boot.observation;

import io.micrometer.observation.Observation;
import org.jspecify.annotations.Nullable;

import dev.locksmith.LeaseType;
import dev.locksmith.LockHandle;
import dev.locksmith.LockObserver;

/**
 * The context of one lock observation: an acquisition ({@link Phase#ACQUIRE}) or a hold
 * ({@link Phase#HOLD}) of one lock, with what a {@link LockObservationConvention} may name and tag it by.
 * The {@link #getKey() key} is the raw lock key: possibly high-cardinality or sensitive, so the default
 * convention never uses it.
 */
public final class LockObservationContext extends Observation.Context {

	/**
	 * Which part of a lock's life an observation covers.
	 */
	public enum Phase {

		/** From the acquisition request until it is granted or given up. */
		ACQUIRE,

		/** From the grant until the release or the loss. */
		HOLD

	}

	private final Phase phase;

	private final LockObserver.Request request;

	private final @Nullable LockHandle handle;

	private @Nullable String outcome;

	LockObservationContext(Phase phase, LockObserver.Request request, @Nullable LockHandle handle) {
		this.phase = phase;
		this.request = request;
		this.handle = handle;
	}

	/**
	 * Returns which part of the lock's life this observation covers.
	 * @return the phase
	 */
	public Phase getPhase() {
		return this.phase;
	}

	/**
	 * Returns the lock's low-cardinality name.
	 * @return the name ({@code "default"} when none was given)
	 */
	public String getLockName() {
		return this.request.name();
	}

	/**
	 * Returns the raw lock key (possibly high-cardinality or sensitive: never a metric tag).
	 * @return the key
	 */
	public String getKey() {
		return this.request.key();
	}

	/**
	 * Returns the provider name.
	 * @return the provider, such as {@code memory}, {@code redis} or {@code jdbc}
	 */
	public String getProvider() {
		return this.request.provider();
	}

	/**
	 * Returns the lease type.
	 * @return the type
	 */
	public LeaseType getLeaseType() {
		return this.request.type();
	}

	/**
	 * Returns the handle of a hold.
	 * @return the handle, or {@code null} for an acquisition
	 */
	public @Nullable LockHandle getHandle() {
		return this.handle;
	}

	/**
	 * Returns how the observed phase ended: {@code acquired}, {@code timeout} or {@code error} for an
	 * acquisition; {@code released}, {@code lost} or {@code error} for a hold.
	 * @return the outcome, or {@code null} while the phase is running
	 */
	public @Nullable String getOutcome() {
		return this.outcome;
	}

	void setOutcome(String outcome) {
		this.outcome = outcome;
	}

}
