package dev.locksmith.boot.aop;

import org.aopalliance.intercept.MethodInvocation;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.aop.ProxyMethodInvocation;
import org.springframework.core.ReactiveAdapter;

import dev.locksmith.LockContext;
import dev.locksmith.LockLostException;
import dev.locksmith.boot.annotation.OnLost;

/**
 * Locks methods returning a reactive type (through {@link ReactiveAdapter}, so {@code Mono}, {@code Flux}
 * and other adapted types): each subscription acquires the lock (on the bounded-elastic scheduler, as
 * acquiring may block), invokes the method, subscribes to its publisher, and releases when it completes,
 * fails or is cancelled. Loaded only when Reactor is present.
 */
final class ReactorLocking {

	private ReactorLocking() {
	}

	static Object invoke(DistributedLockInterceptor interceptor, MethodInvocation invocation, LockOperation operation,
			String key) {
		ReactiveAdapter adapter = operation.reactiveAdapter;
		if (adapter == null || !(invocation instanceof ProxyMethodInvocation proxyInvocation)) {
			throw new IllegalStateException(operation.description + ": cannot lock a reactive result here");
		}
		Mono<HeldLock> acquire = Mono.fromCallable(() -> interceptor.acquire(operation, key))
			.subscribeOn(Schedulers.boundedElastic());
		if (adapter.isMultiValue()) {
			Flux<Object> flux = Flux.usingWhen(acquire, (held) -> body(proxyInvocation, operation, adapter, held),
					ReactorLocking::release, ReactorLocking::releaseAfter, ReactorLocking::releaseOnCancel)
				.onErrorMap(ReactorLocking::unwrapLost);
			return adapter.fromPublisher(flux);
		}
		Mono<Object> mono = Mono.usingWhen(acquire,
				(held) -> Mono.from(body(proxyInvocation, operation, adapter, held)), ReactorLocking::release,
				ReactorLocking::releaseAfter, ReactorLocking::releaseOnCancel)
			.onErrorMap(ReactorLocking::unwrapLost);
		return adapter.fromPublisher(mono);
	}

	private static Flux<Object> body(ProxyMethodInvocation invocation, LockOperation operation,
			ReactiveAdapter adapter, HeldLock held) {
		MethodInvocation call = invocation.invocableClone();
		operation.injectToken(call.getArguments(), held.handle.fencingToken());
		Object result;
		try (LockContext.Scope scope = LockContext.bind(held.handle)) {
			result = call.proceed();
		}
		catch (Throwable ex) {
			return Flux.error(ex);
		}
		if (result == null) {
			return Flux.empty();
		}
		Flux<Object> body = Flux.from(adapter.toPublisher(result));
		if (operation.onLost == OnLost.INTERRUPT) {
			// signalled off Locksmith's callback thread, so the subscriber's operators never run on it
			Mono<Boolean> lost = Mono.<Boolean>create((sink) -> held.handle.onLost(() -> sink.success(Boolean.TRUE)))
				.publishOn(Schedulers.boundedElastic());
			body = body.takeUntilOther(lost);
		}
		return body;
	}

	/**
	 * Reactor wraps an error of the completion cleanup in a plain {@code RuntimeException}; report the
	 * loss itself.
	 */
	private static Throwable unwrapLost(Throwable error) {
		return (error.getClass() == RuntimeException.class && error.getCause() instanceof LockLostException lost)
				? lost : error;
	}

	private static Publisher<?> release(HeldLock held) {
		return Mono.defer(() -> {
			LockLostException lost = held.release();
			return (lost != null) ? Mono.error(lost) : Mono.empty();
		}).subscribeOn(Schedulers.boundedElastic());
	}

	private static Publisher<?> releaseAfter(HeldLock held, Throwable error) {
		return Mono.fromRunnable(() -> held.releaseAfter(error)).subscribeOn(Schedulers.boundedElastic());
	}

	private static Publisher<?> releaseOnCancel(HeldLock held) {
		// Nobody is left to tell about a loss; a backend failure leaves the lease to expire by its TTL.
		return Mono.fromRunnable(held::releaseQuietly).subscribeOn(Schedulers.boundedElastic());
	}

}
