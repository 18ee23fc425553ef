package dev.locksmith.boot.annotation;

/**
 * What a {@link DistributedLock @DistributedLock} method does when another owner holds its lock.
 */
public enum OnLocked {

	/**
	 * Wait up to the wait time ({@code locksmith.wait-time} unless the annotation sets one), then throw
	 * {@link dev.locksmith.LockNotAcquiredException}.
	 */
	WAIT,

	/**
	 * Do not run the method (after waiting the annotation's wait time, if it sets one) and return an
	 * empty result for the method's return type: {@code null} for objects and {@code void},
	 * {@code Optional.empty()} (and the empty {@code OptionalInt}/{@code OptionalLong}/{@code OptionalDouble}),
	 * zero or {@code false} for primitives, a {@code CompletionStage} completed with {@code null}, and an
	 * empty {@code Mono} or {@code Flux}.
	 */
	SKIP,

	/**
	 * Throw {@link dev.locksmith.LockNotAcquiredException} at once (after waiting the annotation's wait
	 * time, if it sets one).
	 */
	THROW

}
