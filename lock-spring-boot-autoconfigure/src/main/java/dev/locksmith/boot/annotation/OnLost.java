package dev.locksmith.boot.annotation;

/**
 * What a {@link DistributedLock @DistributedLock} method does when its lease is lost while it runs
 * (expired before it could be renewed, or removed from the backend).
 */
public enum OnLost {

	/**
	 * Let the method finish, then throw {@link dev.locksmith.LockLostException} instead of returning its
	 * result (or add it as suppressed to the method's own exception). For asynchronous results, the
	 * result completes with the exception.
	 */
	THROW,

	/**
	 * Interrupt the thread running the method as soon as the loss is detected, and then throw
	 * {@link dev.locksmith.LockLostException} as with {@link #THROW}; the interrupt flag this causes is
	 * cleared before the exception is thrown. For {@code CompletionStage} results, the result completes
	 * exceptionally at once; for {@code Mono}/{@code Flux}, the subscription to the method's publisher is
	 * cancelled and the result fails.
	 */
	INTERRUPT

}
