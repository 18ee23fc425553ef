package dev.locksmith.boot.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.core.annotation.AliasFor;

/**
 * Runs the annotated method while holding a distributed lock on the key that {@link #key()} evaluates to.
 *
 * <pre>{@code
 * @DistributedLock(key = "'user:' + #userId", ttl = "10s", waitTime = "2s")
 * public Token refresh(String userId, @FencingToken long token) { ... }
 *
 * @DistributedLock(key = "'nightly-report'", onLocked = OnLocked.SKIP, minHold = "30s")
 * public void report() { ... }
 * }</pre>
 *
 * <p><b>Key.</b> A SpEL expression over the method's arguments by name ({@code #userId}) or position
 * ({@code #p0}, {@code #a0}), the root object ({@code #root.methodName}, {@code #root.args},
 * {@code #root.target}, {@code #root.targetClass}) and beans ({@code @beanName}). It is parsed once per
 * method and target class and evaluated once per call, before the method runs; a key that evaluates to
 * {@code null} or a blank string fails the call with an {@link IllegalArgumentException} naming the method
 * and expression. Write a literal key in quotes: {@code key = "'report'"}.
 *
 * <p><b>Durations.</b> {@link #ttl()}, {@link #waitTime()}, {@link #minHold()} and the retry delays take
 * the grammar of the CLI and the lock service ({@link dev.locksmith.LockDurations}): {@code 10s},
 * {@code 500ms}, {@code 10m}, {@code 1h}, {@code PT1M}, or {@code ${property:default}} placeholders that
 * resolve to one; empty means "the configured default" ({@code locksmith.*}). A bare number such as
 * {@code "30"} fails startup: the CLI reads it as seconds, Boot properties as milliseconds.
 *
 * <p><b>Where the lock is released.</b> After the method returns or throws; for methods returning
 * {@code CompletionStage}, {@code Mono} or {@code Flux}, when the result completes (for Reactor types,
 * each subscription takes the lock, and cancelling releases it). When the method is called inside a
 * running transaction, the release waits for the transaction to complete. The advice runs outside
 * {@code @Transactional} on the same method, so the lock is held until after the commit.
 *
 * <p><b>Nesting.</b> A {@code @DistributedLock} method called (directly or further down) from another one
 * holding the same key on the same thread joins the outer lease instead of failing as non-reentrant; its
 * {@link FencingToken} is the outer lease's.
 *
 * <p>Usable as a meta-annotation, and on interface methods (the implementation inherits it).
 *
 * @see FencingToken
 * @see dev.locksmith.LockContext
 */
@Target({ ElementType.METHOD, ElementType.ANNOTATION_TYPE })
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface DistributedLock {

	/**
	 * Alias for {@link #key()}.
	 * @return the key expression
	 */
	@AliasFor("key")
	String value() default "";

	/**
	 * SpEL expression for the lock key. Required (here or through {@link #value()}) unless {@link #keys()}
	 * is set.
	 * @return the key expression
	 */
	@AliasFor("value")
	String key() default "";

	/**
	 * SpEL expressions, one per key, for a lock on several keys at once instead of {@link #key()} (see
	 * {@link dev.locksmith.MutexService#acquireAll}): all keys are acquired in ascending order of their
	 * evaluated values, whatever the order here, all or nothing, and released together; keys that evaluate
	 * to the same value are locked once, and keys held further up the call chain are joined (see Nesting). Each
	 * expression follows the rules of {@link #key()}. Not for methods
	 * returning {@code Mono} or {@code Flux}, and without a {@link FencingToken} parameter (each key has its
	 * own token: {@code LockContext.find(key)}); both fail startup.
	 * @return the key expressions, or empty for a single {@link #key()}
	 */
	String[] keys() default {};

	/**
	 * Low-cardinality name used in metrics, events and the actuator instead of the key. Defaults to the
	 * key expression's text (never the evaluated key).
	 * @return the lock name
	 */
	String name() default "";

	/**
	 * Lease time to live. When set, the lease is fixed (expires after this TTL, not renewed) unless
	 * {@link #autoExtend()} is {@link AutoExtend#TRUE}; when empty, {@code locksmith.default-ttl} with
	 * renewal while held.
	 * @return the TTL, or empty for the default
	 */
	String ttl() default "";

	/**
	 * How long to wait for the lock when another owner holds it. Empty means
	 * {@code locksmith.wait-time} for {@link OnLocked#WAIT}, and no waiting for {@link OnLocked#SKIP}
	 * and {@link OnLocked#THROW}.
	 * @return the wait time, or empty for the default
	 */
	String waitTime() default "";

	/**
	 * Minimum time the lock stays taken after acquisition, even if the method returns sooner: on
	 * release the lease is shortened to the rest of this time instead of deleted, so a fast scheduled
	 * task does not run again on another instance right away. Empty or {@code 0s}: none.
	 * @return the minimum hold, or empty for none
	 */
	String minHold() default "";

	/**
	 * Whether the lease is renewed while held. {@link AutoExtend#DEFAULT}: renewed unless {@link #ttl()}
	 * is set.
	 * @return the auto-extension choice
	 */
	AutoExtend autoExtend() default AutoExtend.DEFAULT;

	/**
	 * What to do when another owner holds the lock.
	 * @return the strategy
	 */
	OnLocked onLocked() default OnLocked.WAIT;

	/**
	 * What to do when the lease is lost while the method runs.
	 * @return the strategy
	 */
	OnLost onLost() default OnLost.THROW;

	/**
	 * Retry backoff: delay before the second attempt. Empty: {@code locksmith.retry.initial-delay}.
	 * @return the initial delay, or empty for the default
	 */
	String retryInitialDelay() default "";

	/**
	 * Retry backoff: upper bound of one delay. Empty: {@code locksmith.retry.max-delay}.
	 * @return the maximum delay, or empty for the default
	 */
	String retryMaxDelay() default "";

	/**
	 * Retry backoff: growth factor between delays (at least 1). Empty: {@code locksmith.retry.multiplier}.
	 * @return the multiplier, or empty for the default
	 */
	String retryMultiplier() default "";

	/**
	 * Retry backoff: jitter fraction, 0 to 1. Empty: {@code locksmith.retry.jitter}.
	 * @return the jitter, or empty for the default
	 */
	String retryJitter() default "";

	/**
	 * Retry backoff: most attempts, 0 for unlimited within the wait time. Empty:
	 * {@code locksmith.retry.max-attempts}.
	 * @return the maximum attempts, or empty for the default
	 */
	String retryMaxAttempts() default "";

}
