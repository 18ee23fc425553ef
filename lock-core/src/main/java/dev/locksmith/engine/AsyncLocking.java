package dev.locksmith.engine;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

import dev.locksmith.LeaseType;
import dev.locksmith.LockLostException;
import dev.locksmith.LockOptions;
import dev.locksmith.ReleaseOutcome;
import dev.locksmith.spi.KeyText;

/**
 * {@link dev.locksmith.MutexService#withLockAsync}: acquires on a bounded executor (the caller's thread
 * never waits), calls the action there, and releases when the action's stage completes, exactly once.
 */
final class AsyncLocking {

	private AsyncLocking() {
	}

	static <T> CompletableFuture<T> withLockAsync(LockEngine engine, Executor executor, String key,
			LockOptions options, Supplier<? extends CompletionStage<T>> action) {
		LockEngine.requireKey("withLockAsync", key);
		java.util.Objects.requireNonNull(options, "options must not be null");
		java.util.Objects.requireNonNull(action, "action must not be null");
		CompletableFuture<T> result = new CompletableFuture<>();
		try {
			executor.execute(() -> run(engine, key, options, action, result));
		}
		catch (RejectedExecutionException ex) {
			result.completeExceptionally(new RejectedExecutionException("MutexService.withLockAsync: the async executor"
					+ " refused the acquisition of '" + KeyText.forMessage(key) + "' (saturated or shut down)", ex));
		}
		return result;
	}

	private static <T> void run(LockEngine engine, String key, LockOptions options,
			Supplier<? extends CompletionStage<T>> action, CompletableFuture<T> result) {
		if (result.isDone()) {
			return; // cancelled before the acquisition started
		}
		HeldLease lease;
		try {
			lease = engine.acquireTracked("withLockAsync", key, LeaseType.WRITE, 1, 1, options, true, false);
		}
		catch (RuntimeException | Error ex) {
			result.completeExceptionally(ex);
			return;
		}
		if (result.isDone()) {
			// cancelled while waiting: give the lock up without running the action
			finish(lease, null, null, result);
			return;
		}
		CompletionStage<T> stage;
		try {
			stage = action.get();
		}
		catch (RuntimeException | Error ex) {
			finish(lease, null, ex, result);
			return;
		}
		if (stage == null) {
			finish(lease, null, new IllegalStateException("MutexService.withLockAsync: the action for '"
					+ KeyText.forMessage(key) + "' returned null instead of a CompletionStage"), result);
			return;
		}
		result.whenComplete((value, error) -> {
			if (result.isCancelled()) {
				cancel(stage);
			}
		});
		stage.whenComplete((value, error) -> finish(lease, value, unwrap(error), result));
	}

	/** Releases the lease and completes {@code result} with the stage's outcome (a loss added or instead). */
	private static <T> void finish(HeldLease lease, @Nullable T value, @Nullable Throwable error,
			CompletableFuture<T> result) {
		Throwable failure = error;
		try {
			if (lease.release() == ReleaseOutcome.LOST) {
				LockLostException lost = lease.lostException("did not last until the asynchronous action completed");
				if (failure != null) {
					failure.addSuppressed(lost);
				}
				else {
					failure = lost;
				}
			}
		}
		catch (RuntimeException ex) {
			if (failure != null) {
				failure.addSuppressed(ex);
			}
			else {
				failure = ex;
			}
		}
		if (failure != null) {
			result.completeExceptionally(failure);
		}
		else {
			result.complete(value);
		}
	}

	private static void cancel(CompletionStage<?> stage) {
		try {
			stage.toCompletableFuture().cancel(false);
		}
		catch (UnsupportedOperationException ex) {
			// a stage that cannot be cancelled runs to its end; the lock is released then
		}
	}

	private static @Nullable Throwable unwrap(@Nullable Throwable error) {
		return (error instanceof CompletionException && error.getCause() != null) ? error.getCause() : error;
	}

}
