package dev.locksmith;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * How one acquisition behaves: lease TTL, wait time, auto-extension (with its renewal period and renewal
 * timeout), retry backoff, minimum hold, metrics name and metadata stored with the lease. Immutable;
 * every {@code with…} method validates its argument and returns a copy. Values left unset fall back to
 * the {@link MutexService}'s defaults.
 *
 * <pre>{@code
 * LockOptions options = LockOptions.ttl(Duration.ofMinutes(5))
 *         .withWaitTime(Duration.ofSeconds(10))
 *         .withMetadata("purpose", "nightly-report");
 * }</pre>
 *
 * <p><b>Auto-extension.</b> Unless set explicitly, a lease is auto-extended (renewed every
 * {@link #withRenewalPeriod renewal period}, by default a third of its TTL, while held) when no explicit TTL was given, and is a fixed lease that expires after its TTL when
 * one was: {@code LockOptions.ttl(10s)} means "hold for at most 10 seconds". Call
 * {@link #withAutoExtend(boolean)} to choose either way.
 */
public final class LockOptions {

	/** The shortest lease TTL accepted anywhere: 1 ms (backends count TTLs in milliseconds). */
	public static final Duration MIN_TTL = Duration.ofMillis(1);

	/**
	 * The longest lease TTL (and minimum hold) accepted anywhere: 365 days. Longer ones are refused before
	 * they reach a backend, so that no deadline arithmetic can overflow.
	 */
	public static final Duration MAX_TTL = Duration.ofDays(365);

	/**
	 * The longest wait time: about 292 years. A longer wait time (such as {@code ChronoUnit.FOREVER}) is
	 * saturated to this, and means "wait practically forever".
	 */
	public static final Duration MAX_WAIT_TIME = Duration.ofNanos(Long.MAX_VALUE);

	private static final LockOptions DEFAULTS = new LockOptions(null, null, null, null, null, null, Map.of(), null, null);

	private final @Nullable Duration ttl;

	private final @Nullable Duration waitTime;

	private final @Nullable Boolean autoExtend;

	private final @Nullable Backoff backoff;

	private final @Nullable Duration minHold;

	private final @Nullable String name;

	private final Map<String, String> metadata;

	private final @Nullable Duration renewalPeriod;

	private final @Nullable Duration renewalTimeout;

	private LockOptions(@Nullable Duration ttl, @Nullable Duration waitTime, @Nullable Boolean autoExtend,
			@Nullable Backoff backoff, @Nullable Duration minHold, @Nullable String name, Map<String, String> metadata,
			@Nullable Duration renewalPeriod, @Nullable Duration renewalTimeout) {
		this.ttl = ttl;
		this.waitTime = waitTime;
		this.autoExtend = autoExtend;
		this.backoff = backoff;
		this.minHold = minHold;
		this.name = name;
		this.metadata = metadata;
		this.renewalPeriod = renewalPeriod;
		this.renewalTimeout = renewalTimeout;
	}

	/**
	 * Returns options with nothing set: every value comes from the service's defaults.
	 * @return the default options
	 */
	public static LockOptions defaults() {
		return DEFAULTS;
	}

	/**
	 * Returns options with a fixed lease TTL (not auto-extended unless {@link #withAutoExtend} says so).
	 * @param ttl the lease time to live, from {@link #MIN_TTL} to {@link #MAX_TTL}
	 * @return the options
	 * @throws IllegalArgumentException if {@code ttl} is null or out of bounds
	 */
	public static LockOptions ttl(Duration ttl) {
		return DEFAULTS.withTtl(ttl);
	}

	/**
	 * Returns options with a wait time.
	 * @param waitTime how long to wait for the lock, zero or more (saturated to {@link #MAX_WAIT_TIME})
	 * @return the options
	 * @throws IllegalArgumentException if {@code waitTime} is null or negative
	 */
	public static LockOptions waitTime(Duration waitTime) {
		return DEFAULTS.withWaitTime(waitTime);
	}

	/**
	 * Returns a copy with a lease TTL.
	 * @param ttl the lease time to live, from {@link #MIN_TTL} to {@link #MAX_TTL}
	 * @return the new options
	 * @throws IllegalArgumentException if {@code ttl} is null or out of bounds
	 */
	public LockOptions withTtl(Duration ttl) {
		requireTtl("LockOptions.withTtl", ttl);
		requireRenewalFits("LockOptions.withTtl", ttl, this.renewalPeriod, this.renewalTimeout);
		return new LockOptions(ttl, this.waitTime, this.autoExtend, this.backoff, this.minHold, this.name,
				this.metadata, this.renewalPeriod, this.renewalTimeout);
	}

	/**
	 * Returns a copy with a wait time: how long a blocking acquisition waits for the lock to become free.
	 * A wait time longer than {@link #MAX_WAIT_TIME} (for example {@code ChronoUnit.FOREVER.getDuration()}) is
	 * saturated to it.
	 * @param waitTime the wait time, zero (try once) or more
	 * @return the new options
	 * @throws IllegalArgumentException if {@code waitTime} is null or negative
	 */
	public LockOptions withWaitTime(Duration waitTime) {
		requireNotNegative(waitTime, "waitTime");
		Duration saturated = (waitTime.compareTo(MAX_WAIT_TIME) > 0) ? MAX_WAIT_TIME : waitTime;
		return new LockOptions(this.ttl, saturated, this.autoExtend, this.backoff, this.minHold, this.name,
				this.metadata, this.renewalPeriod, this.renewalTimeout);
	}

	/**
	 * Returns a copy that says whether the lease is renewed automatically while held.
	 * @param autoExtend whether to renew the lease at a third of its TTL until released
	 * @return the new options
	 */
	public LockOptions withAutoExtend(boolean autoExtend) {
		return new LockOptions(this.ttl, this.waitTime, autoExtend, this.backoff, this.minHold, this.name,
				this.metadata, this.renewalPeriod, this.renewalTimeout);
	}

	/**
	 * Returns a copy with a renewal period: how long after a grant or a successful renewal an auto-extended
	 * lease is renewed again. Unset, it is a third of the TTL. It must be shorter than the TTL (see
	 * {@link #requireRenewalFits}); a renewal is never scheduled after the lease's local deadline (the TTL
	 * minus a clock-drift allowance of 1% plus 2 ms), even after an extend to a shorter TTL.
	 * @param renewalPeriod the renewal period, from 1 ms to {@link #MAX_TTL}
	 * @return the new options
	 * @throws IllegalArgumentException if {@code renewalPeriod} is null, out of bounds, or not shorter than this
	 * options' TTL (or leaves no time for its renewal timeout)
	 */
	public LockOptions withRenewalPeriod(Duration renewalPeriod) {
		requireRenewalDuration("LockOptions.withRenewalPeriod", "renewalPeriod", renewalPeriod);
		if (this.ttl != null) {
			requireRenewalFits("LockOptions.withRenewalPeriod", this.ttl, renewalPeriod, this.renewalTimeout);
		}
		return new LockOptions(this.ttl, this.waitTime, this.autoExtend, this.backoff, this.minHold, this.name,
				this.metadata, renewalPeriod, this.renewalTimeout);
	}

	/**
	 * Returns a copy with a renewal timeout: how long the engine waits for the answer to one renewal. A
	 * renewal unanswered by then counts as failed (a {@link LockEvent.Type#RENEW_FAILED} event), its late
	 * answer is ignored, and it is retried until the lease's local deadline. The retry is sent once the
	 * renewal thread is free: a provider call that hangs still holds it until the backend client's own
	 * command timeout. Unset, the engine waits for an answer until the local deadline. It must be shorter than
	 * the TTL minus the renewal period (see {@link #requireRenewalFits}); set it above the backend's normal
	 * latency.
	 * @param renewalTimeout the renewal timeout, from 1 ms to {@link #MAX_TTL}
	 * @return the new options
	 * @throws IllegalArgumentException if {@code renewalTimeout} is null, out of bounds, or not shorter than this
	 * options' TTL minus the renewal period
	 */
	public LockOptions withRenewalTimeout(Duration renewalTimeout) {
		requireRenewalDuration("LockOptions.withRenewalTimeout", "renewalTimeout", renewalTimeout);
		if (this.ttl != null) {
			requireRenewalFits("LockOptions.withRenewalTimeout", this.ttl, this.renewalPeriod, renewalTimeout);
		}
		return new LockOptions(this.ttl, this.waitTime, this.autoExtend, this.backoff, this.minHold, this.name,
				this.metadata, this.renewalPeriod, renewalTimeout);
	}

	/**
	 * Returns a copy with a retry backoff.
	 * @param backoff the backoff for attempts while waiting
	 * @return the new options
	 */
	public LockOptions withBackoff(Backoff backoff) {
		Objects.requireNonNull(backoff, "backoff must not be null");
		return new LockOptions(this.ttl, this.waitTime, this.autoExtend, backoff, this.minHold, this.name,
				this.metadata, this.renewalPeriod, this.renewalTimeout);
	}

	/**
	 * Returns a copy with a minimum hold time: on release, if the lease was held for less than this,
	 * its TTL is shortened to the rest of the minimum instead of the key being deleted, so that a fast
	 * task does not run again elsewhere right away.
	 * @param minHold the minimum hold, from zero to {@link #MAX_TTL}
	 * @return the new options
	 * @throws IllegalArgumentException if {@code minHold} is null, negative or longer than {@link #MAX_TTL}
	 */
	public LockOptions withMinHold(Duration minHold) {
		requireNotNegative(minHold, "minHold");
		if (minHold.compareTo(MAX_TTL) > 0) {
			throw new IllegalArgumentException("LockOptions.withMinHold: minHold must be at most 365 days "
					+ "(LockOptions.MAX_TTL), was " + minHold);
		}
		return new LockOptions(this.ttl, this.waitTime, this.autoExtend, this.backoff, minHold, this.name,
				this.metadata, this.renewalPeriod, this.renewalTimeout);
	}

	/**
	 * Returns a copy with a name: the low-cardinality label that metrics and events use instead of the key.
	 * @param name the lock name, not blank
	 * @return the new options
	 * @throws IllegalArgumentException if {@code name} is null or blank
	 */
	public LockOptions withName(String name) {
		if (name == null || name.isBlank()) {
			throw new IllegalArgumentException("LockOptions name must not be blank");
		}
		return new LockOptions(this.ttl, this.waitTime, this.autoExtend, this.backoff, this.minHold, name,
				this.metadata, this.renewalPeriod, this.renewalTimeout);
	}

	/**
	 * Returns a copy with one more metadata entry, stored with the lease and shown by inspection.
	 * @param key the entry key, not blank
	 * @param value the entry value, not null
	 * @return the new options
	 * @throws IllegalArgumentException if {@code key} is blank or {@code value} is null
	 */
	public LockOptions withMetadata(String key, String value) {
		Map<String, String> copy = new LinkedHashMap<>(this.metadata);
		copy.put(key, value);
		return withMetadata(copy);
	}

	/**
	 * Returns a copy whose metadata is {@code metadata}.
	 * @param metadata the entries, none with a blank key or a null value
	 * @return the new options
	 * @throws IllegalArgumentException if an entry has a blank key or a null value
	 */
	public LockOptions withMetadata(Map<String, String> metadata) {
		Objects.requireNonNull(metadata, "metadata must not be null");
		metadata.forEach((key, value) -> {
			if (key == null || key.isBlank()) {
				throw new IllegalArgumentException("LockOptions metadata keys must not be blank");
			}
			if (value == null) {
				throw new IllegalArgumentException("LockOptions metadata value for '" + key + "' must not be null");
			}
		});
		return new LockOptions(this.ttl, this.waitTime, this.autoExtend, this.backoff, this.minHold, this.name,
				Collections.unmodifiableMap(new LinkedHashMap<>(metadata)), this.renewalPeriod,
				this.renewalTimeout);
	}

	/**
	 * Returns these options with every unset value taken from {@code defaults}. The auto-extension rule
	 * (see the class comment) is applied to the result.
	 * @param defaults the options to fall back on
	 * @return the merged options
	 */
	public LockOptions orElse(LockOptions defaults) {
		Boolean extend = this.autoExtend;
		if (extend == null && this.ttl != null) {
			extend = Boolean.FALSE;
		}
		Map<String, String> meta = this.metadata;
		if (meta.isEmpty()) {
			meta = defaults.metadata;
		}
		return new LockOptions(this.ttl != null ? this.ttl : defaults.ttl,
				this.waitTime != null ? this.waitTime : defaults.waitTime,
				extend != null ? extend : defaults.autoExtend, this.backoff != null ? this.backoff : defaults.backoff,
				this.minHold != null ? this.minHold : defaults.minHold, this.name != null ? this.name : defaults.name,
				meta,
				this.renewalPeriod != null ? this.renewalPeriod : defaults.renewalPeriod,
				this.renewalTimeout != null ? this.renewalTimeout : defaults.renewalTimeout);
	}

	/**
	 * Returns the lease TTL, if set.
	 * @return the TTL or {@code null}
	 */
	public @Nullable Duration ttl() {
		return this.ttl;
	}

	/**
	 * Returns the wait time, if set.
	 * @return the wait time or {@code null}
	 */
	public @Nullable Duration waitTime() {
		return this.waitTime;
	}

	/**
	 * Returns whether the lease is auto-extended, if decided.
	 * @return the flag or {@code null}
	 */
	public @Nullable Boolean autoExtend() {
		return this.autoExtend;
	}

	/**
	 * Returns the retry backoff, if set.
	 * @return the backoff or {@code null}
	 */
	public @Nullable Backoff backoff() {
		return this.backoff;
	}

	/**
	 * Returns the minimum hold time, if set.
	 * @return the minimum hold or {@code null}
	 */
	public @Nullable Duration minHold() {
		return this.minHold;
	}

	/**
	 * Returns the metrics name, if set.
	 * @return the name or {@code null}
	 */
	public @Nullable String name() {
		return this.name;
	}

	/**
	 * Returns the renewal period, if set.
	 * @return the renewal period or {@code null} (a third of the TTL)
	 */
	public @Nullable Duration renewalPeriod() {
		return this.renewalPeriod;
	}

	/**
	 * Returns the renewal timeout, if set.
	 * @return the renewal timeout or {@code null} (wait until the local deadline)
	 */
	public @Nullable Duration renewalTimeout() {
		return this.renewalTimeout;
	}

	/**
	 * Returns the metadata stored with the lease.
	 * @return an unmodifiable map, possibly empty
	 */
	public Map<String, String> metadata() {
		return this.metadata;
	}

	/**
	 * Checks a lease TTL against the bounds every TTL must meet, wherever it is given (options, extend,
	 * detached leases): from {@link #MIN_TTL} (1 ms) to {@link #MAX_TTL} (365 days).
	 * @param method the method or option named in the error, for example {@code LockHandle.extend}
	 * @param ttl the TTL to check
	 * @return the TTL
	 * @throws IllegalArgumentException if {@code ttl} is null or out of bounds
	 */
	public static Duration requireTtl(String method, @Nullable Duration ttl) {
		if (ttl == null || ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0) {
			throw new IllegalArgumentException(method + ": ttl must be from 1 ms (LockOptions.MIN_TTL) to 365 days "
					+ "(LockOptions.MAX_TTL), was " + ttl);
		}
		return ttl;
	}

	/**
	 * Checks a renewal period and timeout against a lease TTL: the period must be shorter than the TTL, and
	 * the timeout shorter than the TTL minus the period (or than the TTL minus a third of it when no period is
	 * set), so that a renewal is sent and answered before the lease expires.
	 * @param method the method, option or property named in the error, for example {@code LockOptions.withRenewalPeriod}
	 * @param ttl the lease TTL
	 * @param renewalPeriod the renewal period, or {@code null} for a third of the TTL
	 * @param renewalTimeout the renewal timeout, or {@code null} for none
	 * @throws IllegalArgumentException naming {@code method}, the option and its limit if they do not fit
	 */
	public static void requireRenewalFits(String method, Duration ttl, @Nullable Duration renewalPeriod,
			@Nullable Duration renewalTimeout) {
		if (renewalPeriod != null && renewalPeriod.compareTo(ttl) >= 0) {
			throw new IllegalArgumentException(method + ": renewalPeriod must be shorter than the TTL (" + ttl
					+ "), was " + renewalPeriod);
		}
		if (renewalTimeout != null) {
			Duration period = (renewalPeriod != null) ? renewalPeriod : ttl.dividedBy(3);
			Duration limit = ttl.minus(period);
			if (renewalTimeout.compareTo(limit) >= 0) {
				throw new IllegalArgumentException(method + ": renewalTimeout must be shorter than the TTL minus the "
						+ "renewal period (" + ttl + " - " + period + " = " + limit + "), was " + renewalTimeout);
			}
		}
	}

	private static void requireRenewalDuration(String method, String what, @Nullable Duration value) {
		if (value == null || value.compareTo(MIN_TTL) < 0 || value.compareTo(MAX_TTL) > 0) {
			throw new IllegalArgumentException(method + ": " + what + " must be from 1 ms to 365 days, was " + value);
		}
	}

	private static void requireNotNegative(@Nullable Duration value, String what) {
		if (value == null || value.isNegative()) {
			throw new IllegalArgumentException("LockOptions " + what + " must be zero or positive, was " + value);
		}
	}

	@Override
	public boolean equals(Object other) {
		return other instanceof LockOptions that && Objects.equals(this.ttl, that.ttl)
				&& Objects.equals(this.waitTime, that.waitTime) && Objects.equals(this.autoExtend, that.autoExtend)
				&& Objects.equals(this.backoff, that.backoff) && Objects.equals(this.minHold, that.minHold)
				&& Objects.equals(this.name, that.name) && this.metadata.equals(that.metadata)
				&& Objects.equals(this.renewalPeriod, that.renewalPeriod)
				&& Objects.equals(this.renewalTimeout, that.renewalTimeout);
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.ttl, this.waitTime, this.autoExtend, this.backoff, this.minHold, this.name,
				this.metadata, this.renewalPeriod, this.renewalTimeout);
	}

	@Override
	public String toString() {
		return "LockOptions[ttl=" + this.ttl + ", waitTime=" + this.waitTime + ", autoExtend=" + this.autoExtend
				+ ", backoff=" + this.backoff + ", minHold=" + this.minHold + ", name=" + this.name + ", metadata="
				+ this.metadata + ", renewalPeriod=" + this.renewalPeriod + ", renewalTimeout=" + this.renewalTimeout + "]";
	}

}
