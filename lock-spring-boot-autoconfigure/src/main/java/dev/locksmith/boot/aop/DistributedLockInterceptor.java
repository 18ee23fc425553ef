package dev.locksmith.boot.aop;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;
import org.springframework.util.ClassUtils;

import dev.locksmith.LockContext;
import dev.locksmith.LockHandle;
import dev.locksmith.LockLostException;
import dev.locksmith.LockNotAcquiredException;
import dev.locksmith.LockObserver;
import dev.locksmith.MutexService;
import dev.locksmith.boot.annotation.OnLocked;
import dev.locksmith.boot.annotation.OnLost;
import dev.locksmith.engine.LockEngine;

/**
 * The one around advice behind {@link dev.locksmith.boot.annotation.DistributedLock @DistributedLock}:
 * evaluates the key once, acquires (or joins the same key held further up the call chain), injects the
 * fencing token, runs the method, and releases when the method — or its asynchronous result — completes.
 * It records no metrics or observations of its own: the engine's {@link LockObserver} sees every
 * acquisition and hold, and the advice only makes the hold current while a synchronous method runs.
 * Thread-safe; metadata is cached by the {@link LockOperationSource}.
 */
public final class DistributedLockInterceptor implements MethodInterceptor {

	private static final boolean TRANSACTIONS_PRESENT = ClassUtils.isPresent(
			"org.springframework.transaction.support.TransactionSynchronizationManager",
			DistributedLockInterceptor.class.getClassLoader());

	private static final boolean REACTOR_PRESENT = ClassUtils.isPresent("reactor.core.publisher.Flux",
			DistributedLockInterceptor.class.getClassLoader());

	private final Supplier<MutexService> locks;

	private final LockOperationSource operations;

	/**
	 * Creates the advice.
	 * @param locks supplies the lock service (resolved on first use, so proxies can be created early)
	 * @param operations resolves and caches annotation metadata
	 */
	public DistributedLockInterceptor(Supplier<MutexService> locks, LockOperationSource operations) {
		this.locks = locks;
		this.operations = operations;
	}

	@Override
	public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
		Object target = invocation.getThis();
		Class<?> targetClass = (target != null) ? AopUtils.getTargetClass(target)
				: invocation.getMethod().getDeclaringClass();
		LockOperation operation = this.operations.get(invocation.getMethod(), targetClass);
		if (operation == null) {
			return invocation.proceed();
		}
		if (operation.isMultiKey()) {
			return MultiKeyLocking.invoke(this.locks.get(), invocation, operation,
					this.operations.keys(operation, invocation.getArguments(), target, targetClass),
					(key) -> heldInThisCallChain(key) != null, TRANSACTIONS_PRESENT);
		}
		String key = this.operations.key(operation, invocation.getArguments(), target, targetClass);
		LockHandle outer = heldInThisCallChain(key);
		if (outer != null) {
			// Nested call on a key this call chain (or its transaction) already holds: join that lease.
			operation.injectToken(invocation.getArguments(), outer.fencingToken());
			try (LockContext.Scope scope = LockContext.bind(outer)) {
				return invocation.proceed();
			}
		}
		return switch (operation.resultKind) {
			case SYNC -> invokeLocked(invocation, operation, key);
			case COMPLETION_STAGE -> invokeCompletionStage(invocation, operation, key);
			case REACTIVE -> REACTOR_PRESENT ? ReactorLocking.invoke(this, invocation, operation, key)
					: invokeLocked(invocation, operation, key);
		};
	}

	private static @Nullable LockHandle heldInThisCallChain(String key) {
		Optional<LockHandle> bound = LockContext.find(key);
		if (bound.isPresent()) {
			return bound.get();
		}
		return TRANSACTIONS_PRESENT ? TransactionRelease.find(key) : null;
	}

	private @Nullable Object invokeLocked(MethodInvocation invocation, LockOperation operation, String key)
			throws Throwable {
		HeldLock held = acquire(operation, key);
		if (held == null) {
			return operation.skippedResult();
		}
		operation.injectToken(invocation.getArguments(), held.handle.fencingToken());
		boolean releaseWithTransaction = TRANSACTIONS_PRESENT && TransactionRelease.isSynchronizationActive();
		Interrupter interrupter = (operation.onLost == OnLost.INTERRUPT) ? Interrupter.arm(held.handle) : null;
		Object result;
		try (LockContext.Scope scope = LockContext.bind(held.handle);
				LockObserver.Scope observationScope = LockEngine.openScope(held.handle)) {
			result = invocation.proceed();
		}
		catch (Throwable ex) {
			if (interrupter != null) {
				interrupter.disarm();
			}
			if (releaseWithTransaction) {
				// even if lost: the transaction's commit check must see it, whatever the caller does with ex
				TransactionRelease.releaseAfterCompletion(key, held);
				if (!held.handle.isValid()) {
					ex.addSuppressed(held.lostException());
				}
			}
			else {
				held.releaseAfter(ex);
			}
			throw ex;
		}
		if (interrupter != null) {
			interrupter.disarm();
		}
		if (releaseWithTransaction) {
			// a lost lock stays registered too, so that the commit fails even if the caller catches the loss
			TransactionRelease.releaseAfterCompletion(key, held);
			if (!held.handle.isValid()) {
				throw held.lostException();
			}
			return result;
		}
		LockLostException lost = held.release();
		if (lost != null) {
			throw lost;
		}
		return result;
	}

	private @Nullable Object invokeCompletionStage(MethodInvocation invocation, LockOperation operation, String key)
			throws Throwable {
		HeldLock held = acquire(operation, key);
		if (held == null) {
			return operation.skippedResult();
		}
		operation.injectToken(invocation.getArguments(), held.handle.fencingToken());
		Object result;
		try (LockContext.Scope scope = LockContext.bind(held.handle)) {
			result = invocation.proceed();
		}
		catch (Throwable ex) {
			held.releaseAfter(ex);
			throw ex;
		}
		if (result == null) {
			LockLostException lost = held.release();
			if (lost != null) {
				throw lost;
			}
			return null;
		}
		CompletableFuture<@Nullable Object> completion = new CompletableFuture<>();
		if (operation.onLost == OnLost.INTERRUPT) {
			// Complete on the future's default async executor, not on Locksmith's callback thread: the
			// caller's exceptionally/handle stages run where the future is completed, and must not hold up
			// other leases' loss callbacks.
			held.handle.onLost(() -> completion.defaultExecutor()
				.execute(() -> completion.completeExceptionally(held.lostException())));
		}
		((CompletionStage<?>) result).whenComplete((value, error) -> {
			Throwable failure = (error instanceof CompletionException && error.getCause() != null) ? error.getCause()
					: error;
			try {
				LockLostException lost = held.release();
				if (lost != null) {
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
				completion.completeExceptionally(failure);
			}
			else {
				completion.complete(value);
			}
		});
		return completion;
	}

	/**
	 * Acquires the operation's lock on {@code key}.
	 * @return the held lock, or {@code null} if {@link OnLocked#SKIP} and not acquired
	 * @throws LockNotAcquiredException if not acquired and the strategy is not SKIP
	 */
	@Nullable HeldLock acquire(LockOperation operation, String key) {
		MutexService service = this.locks.get();
		LockHandle handle = (operation.onLocked == OnLocked.SKIP)
				? service.tryAcquire(key, operation.options).orElse(null) : service.acquire(key, operation.options);
		return (handle != null) ? new HeldLock(handle, operation.description) : null;
	}

}
