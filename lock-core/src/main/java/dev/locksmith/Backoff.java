package dev.locksmith;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How a waiting acquisition spaces its attempts when the backend cannot wake it (or as a safety net
 * when a wake-up is lost), and how it retries when the backend is unreachable. Shaped like Spring
 * Framework's {@code RetryPolicy}: exponential delays from {@link #initialDelay()} growing by
 * {@link #multiplier()} up to {@link #maxDelay()}, each spread by ±{@link #jitter()} (a fraction), for at
 * most {@link #maxAttempts()} attempts (0: unlimited). The acquisition's wait time bounds the whole.
 *
 * <p>Instances are immutable and validated when built.
 */
public final class Backoff {

	/** Default delay before the second attempt: {@value #DEFAULT_INITIAL_DELAY_MILLIS} ms. */
	public static final long DEFAULT_INITIAL_DELAY_MILLIS = 50;

	/** Default upper bound of one delay: {@value #DEFAULT_MAX_DELAY_MILLIS} ms. */
	public static final long DEFAULT_MAX_DELAY_MILLIS = 1000;

	/** Default growth factor between delays: {@value #DEFAULT_MULTIPLIER}. */
	public static final double DEFAULT_MULTIPLIER = 2.0;

	/** Default jitter fraction: {@value #DEFAULT_JITTER}. */
	public static final double DEFAULT_JITTER = 0.1;

	private static final Backoff DEFAULTS = new Backoff(Duration.ofMillis(DEFAULT_INITIAL_DELAY_MILLIS),
			Duration.ofMillis(DEFAULT_MAX_DELAY_MILLIS), DEFAULT_MULTIPLIER, DEFAULT_JITTER, 0);

	private final Duration initialDelay;

	private final Duration maxDelay;

	private final double multiplier;

	private final double jitter;

	private final int maxAttempts;

	private Backoff(Duration initialDelay, Duration maxDelay, double multiplier, double jitter, int maxAttempts) {
		Objects.requireNonNull(initialDelay, "initialDelay must not be null");
		Objects.requireNonNull(maxDelay, "maxDelay must not be null");
		if (initialDelay.isNegative() || initialDelay.isZero()) {
			throw new IllegalArgumentException("Backoff initialDelay must be positive, was " + initialDelay);
		}
		if (maxDelay.compareTo(initialDelay) < 0) {
			throw new IllegalArgumentException(
					"Backoff maxDelay (" + maxDelay + ") must not be less than initialDelay (" + initialDelay + ")");
		}
		if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
			throw new IllegalArgumentException("Backoff multiplier must be >= 1, was " + multiplier);
		}
		if (!(jitter >= 0.0 && jitter <= 1.0)) {
			throw new IllegalArgumentException("Backoff jitter must be between 0 and 1, was " + jitter);
		}
		if (maxAttempts < 0) {
			throw new IllegalArgumentException("Backoff maxAttempts must be >= 0 (0: unlimited), was " + maxAttempts);
		}
		this.initialDelay = initialDelay;
		this.maxDelay = maxDelay;
		this.multiplier = multiplier;
		this.jitter = jitter;
		this.maxAttempts = maxAttempts;
	}

	/**
	 * Returns the defaults: 50 ms initial delay, 1 s max, multiplier 2, jitter 0.1, unlimited attempts.
	 * @return the default backoff
	 */
	public static Backoff defaults() {
		return DEFAULTS;
	}

	/**
	 * Creates a backoff.
	 * @param initialDelay the delay before the second attempt (positive)
	 * @param maxDelay the largest single delay (at least {@code initialDelay})
	 * @param multiplier the growth factor (at least 1)
	 * @param jitter the fraction by which each delay is randomly spread, 0 to 1
	 * @param maxAttempts the most attempts, 0 for unlimited within the wait time
	 * @return the backoff
	 * @throws IllegalArgumentException if a value is out of range
	 */
	public static Backoff of(Duration initialDelay, Duration maxDelay, double multiplier, double jitter,
			int maxAttempts) {
		return new Backoff(initialDelay, maxDelay, multiplier, jitter, maxAttempts);
	}

	/**
	 * Returns a copy with another maximum number of attempts.
	 * @param maxAttempts the most attempts, 0 for unlimited
	 * @return the new backoff
	 */
	public Backoff withMaxAttempts(int maxAttempts) {
		return new Backoff(this.initialDelay, this.maxDelay, this.multiplier, this.jitter, maxAttempts);
	}

	/**
	 * Returns the delay before attempt {@code attempt + 1} (attempts count from 1), with jitter applied.
	 * @param attempt the number of attempts made so far (1 or more)
	 * @return the delay in nanoseconds
	 */
	public long delayNanos(int attempt) {
		double base = saturatedNanos(this.initialDelay) * Math.pow(this.multiplier, Math.max(0, attempt - 1));
		double capped = Math.min(base, saturatedNanos(this.maxDelay));
		if (this.jitter > 0) {
			capped *= 1.0 + this.jitter * (2 * ThreadLocalRandom.current().nextDouble() - 1);
		}
		return Math.max(1, (long) capped);
	}

	/** Durations too long for a long of nanoseconds (about 292 years) count as that long. */
	private static double saturatedNanos(Duration duration) {
		return (duration.compareTo(LockOptions.MAX_WAIT_TIME) >= 0) ? Long.MAX_VALUE : duration.toNanos();
	}

	/**
	 * Returns whether another attempt may follow {@code attempts} attempts.
	 * @param attempts the number of attempts made so far
	 * @return {@code true} if the policy allows another attempt
	 */
	public boolean allowsAnotherAttempt(int attempts) {
		return this.maxAttempts == 0 || attempts < this.maxAttempts;
	}

	/**
	 * Returns the delay before the second attempt.
	 * @return the initial delay
	 */
	public Duration initialDelay() {
		return this.initialDelay;
	}

	/**
	 * Returns the largest single delay.
	 * @return the maximum delay
	 */
	public Duration maxDelay() {
		return this.maxDelay;
	}

	/**
	 * Returns the growth factor between delays.
	 * @return the multiplier
	 */
	public double multiplier() {
		return this.multiplier;
	}

	/**
	 * Returns the fraction by which delays are randomly spread.
	 * @return the jitter, 0 to 1
	 */
	public double jitter() {
		return this.jitter;
	}

	/**
	 * Returns the most attempts, 0 for unlimited within the wait time.
	 * @return the maximum number of attempts
	 */
	public int maxAttempts() {
		return this.maxAttempts;
	}

	@Override
	public boolean equals(Object other) {
		return other instanceof Backoff that && this.initialDelay.equals(that.initialDelay)
				&& this.maxDelay.equals(that.maxDelay) && this.multiplier == that.multiplier
				&& this.jitter == that.jitter && this.maxAttempts == that.maxAttempts;
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.initialDelay, this.maxDelay, this.multiplier, this.jitter, this.maxAttempts);
	}

	@Override
	public String toString() {
		return "Backoff[initialDelay=" + this.initialDelay + ", maxDelay=" + this.maxDelay + ", multiplier="
				+ this.multiplier + ", jitter=" + this.jitter + ", maxAttempts=" + this.maxAttempts + "]";
	}

}
