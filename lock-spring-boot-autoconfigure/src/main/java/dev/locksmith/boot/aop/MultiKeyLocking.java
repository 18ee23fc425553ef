package dev.locksmith.boot.aop;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;

import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import dev.locksmith.LockHandle;
import dev.locksmith.LockLostException;
import dev.locksmith.LockObserver;
import dev.locksmith.MultiLockHandle;
import dev.locksmith.MutexService;
import dev.locksmith.ReleaseOutcome;
import dev.locksmith.LockContext;
import dev.locksmith.boot.annotation.OnLocked;
import dev.locksmith.boot.annotation.OnLost;
import dev.locksmith.engine.LockEngine;

/**
 * The advice for {@code @DistributedLock(keys = ...)}: acquires every key with
 * {@link MutexService#acquireAll} (sorted, all or nothing; keys held further up the call chain are joined),
 * binds each key's lease in {@link LockContext},
 * runs the method and releases the set when it — or its {@code CompletionStage} — completes, or with the
 * running transaction.
 */
final class MultiKeyLocking {

	private MultiKeyLocking() {
	}

	/**
	 * Locks the keys not already held further up this call chain ({@code heldInCallChain}; those are joined,
	 * as a nested single-key call joins its outer lease), runs the method and releases what it took.
	 */
	static @Nullable Object invoke(MutexService service, MethodInvocation invocation, LockOperation operation,
			List<String> keys, Predicate<String> heldInCallChain, boolean transactionsPresent) throws Throwable {
		List<String> toTake = new ArrayList<>();
		for (String key : keys) {
			if (!heldInCallChain.test(key)) {
				toTake.add(key);
			}
		}
		if (toTake.isEmpty()) {
			return invocation.proceed(); // every key is held further up: their leases are bound already
		}
		MultiLockHandle locks = (operation.onLocked == OnLocked.SKIP)
				? service.tryAcquireAll(toTake, operation.options).orElse(null)
				: service.acquireAll(toTake, operation.options);
		if (locks == null) {
			return operation.skippedResult();
		}
		if (operation.resultKind == LockOperation.ResultKind.COMPLETION_STAGE) {
			return invokeCompletionStage(invocation, operation, locks);
		}
		boolean releaseWithTransaction = transactionsPresent && TransactionRelease.isSynchronizationActive();
		List<Interrupter> interrupters = new ArrayList<>();
		if (operation.onLost == OnLost.INTERRUPT) {
			for (LockHandle handle : locks.handles()) {
				interrupters.add(Interrupter.arm(handle));
			}
		}
		Object result;
		try {
			result = proceedBound(invocation, locks, true);
		}
		catch (Throwable ex) {
			interrupters.forEach(Interrupter::disarm);
			if (releaseWithTransaction) {
				releaseWithTransaction(locks, operation);
				if (!locks.isValid()) {
					ex.addSuppressed(lostException(locks, operation));
				}
			}
			else {
				releaseAfter(locks, operation, ex);
			}
			throw ex;
		}
		interrupters.forEach(Interrupter::disarm);
		if (releaseWithTransaction) {
			releaseWithTransaction(locks, operation);
			if (!locks.isValid()) {
				throw lostException(locks, operation);
			}
			return result;
		}
		if (locks.release() == ReleaseOutcome.LOST) {
			throw lostException(locks, operation);
		}
		return result;
	}

	private static @Nullable Object invokeCompletionStage(MethodInvocation invocation, LockOperation operation,
			MultiLockHandle locks) throws Throwable {
		Object result;
		try {
			result = proceedBound(invocation, locks, false);
		}
		catch (Throwable ex) {
			releaseAfter(locks, operation, ex);
			throw ex;
		}
		if (result == null) {
			if (locks.release() == ReleaseOutcome.LOST) {
				throw lostException(locks, operation);
			}
			return null;
		}
		CompletableFuture<@Nullable Object> completion = new CompletableFuture<>();
		((CompletionStage<?>) result).whenComplete((value, error) -> {
			Throwable failure = (error instanceof CompletionException && error.getCause() != null) ? error.getCause()
					: error;
			if (failure != null) {
				releaseAfter(locks, operation, failure);
				completion.completeExceptionally(failure);
				return;
			}
			try {
				if (locks.release() == ReleaseOutcome.LOST) {
					completion.completeExceptionally(lostException(locks, operation));
					return;
				}
			}
			catch (RuntimeException ex) {
				completion.completeExceptionally(ex);
				return;
			}
			completion.complete(value);
		});
		return completion;
	}

	/**
	 * Runs the method with every key's lease bound in {@link LockContext}, so nested calls join them, and
	 * (for a synchronous method) with their holds as the current observations.
	 */
	private static @Nullable Object proceedBound(MethodInvocation invocation, MultiLockHandle locks,
			boolean observeHolds) throws Throwable {
		List<LockContext.Scope> scopes = new ArrayList<>();
		try {
			for (LockHandle handle : locks.handles()) {
				scopes.add(LockContext.bind(handle));
			}
			if (!observeHolds) {
				return invocation.proceed();
			}
			try (LockObserver.Scope observation = LockEngine.openScope(locks)) {
				return invocation.proceed();
			}
		}
		finally {
			for (int i = scopes.size() - 1; i >= 0; i--) {
				scopes.get(i).close();
			}
		}
	}

	private static void releaseWithTransaction(MultiLockHandle locks, LockOperation operation) {
		for (LockHandle handle : locks.handles()) {
			TransactionRelease.releaseAfterCompletion(handle.key(),
					new HeldLock(handle, operation.description));
		}
	}

	private static void releaseAfter(MultiLockHandle locks, LockOperation operation, Throwable failure) {
		try {
			if (locks.release() == ReleaseOutcome.LOST) {
				failure.addSuppressed(lostException(locks, operation));
			}
		}
		catch (RuntimeException ex) {
			failure.addSuppressed(ex);
		}
	}

	private static LockLostException lostException(MultiLockHandle locks, LockOperation operation) {
		return new LockLostException(locks.keys().get(0), "A lock of the set " + locks.keys().size()
				+ " keys was lost while " + operation.description + " ran");
	}

}
