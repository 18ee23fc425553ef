package dev.locksmith.server.grpc;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import org.jspecify.annotations.Nullable;

/**
 * Runs gRPC calls (and so their waits for a lock) on a fixed pool of threads and refuses calls beyond {@code maxThreads + queueCapacity}
 * in flight with {@code RESOURCE_EXHAUSTED} at once, instead of starting a thread per call.
 *
 * <p>The server runs its transport callbacks directly; for each call to a known method grpc-java asks
 * {@link #getExecutor} (cheap, on the transport thread) where to run it. An admitted call takes a slot
 * and runs on the pool; a refused one runs on the transport thread, where {@link #interceptCall} (the
 * outermost interceptor) closes it at once. The slot is given back when the call completes or is
 * cancelled. grpc-java runs at most one task per call on the executor at a time, so the pool's queue never
 * holds more than {@code queueCapacity} tasks.
 */
final class CallAdmission implements ServerCallExecutorSupplier, ServerInterceptor {

	private final ThreadPoolExecutor pool;

	private final Semaphore slots;

	private final Set<ServerCall<?, ?>> admitted = ConcurrentHashMap.newKeySet();

	private final String refusal;

	/**
	 * Creates the pool.
	 * @param maxThreads threads that run calls
	 * @param queueCapacity calls that may wait for a thread
	 * @param threads makes the pool's threads (virtual ones with {@code spring.threads.virtual.enabled}), or
	 * null for daemon platform threads
	 */
	CallAdmission(int maxThreads, int queueCapacity, @Nullable ThreadFactory threads) {
		this.pool = new ThreadPoolExecutor(maxThreads, maxThreads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
				threadFactory(threads));
		this.pool.allowCoreThreadTimeOut(true);
		this.slots = new Semaphore(maxThreads + queueCapacity);
		this.refusal = "lock service busy: " + (maxThreads + queueCapacity) + " gRPC calls already in progress "
				+ "(locksmith.server.grpc.max-threads=" + maxThreads + " plus locksmith.server.grpc.queue-capacity="
				+ queueCapacity + "); retry later";
	}

	@Override
	public <Q, R> @Nullable Executor getExecutor(ServerCall<Q, R> call, Metadata metadata) {
		if (!this.slots.tryAcquire()) {
			return null; // stays on the transport thread, refused by interceptCall
		}
		this.admitted.add(call);
		return this.pool;
	}

	@Override
	public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
			ServerCallHandler<Q, R> next) {
		if (!this.admitted.remove(call)) {
			call.close(Status.RESOURCE_EXHAUSTED.withDescription(this.refusal), new Metadata());
			return new ServerCall.Listener<>() {
			};
		}
		AtomicBoolean released = new AtomicBoolean();
		Runnable release = () -> {
			if (released.compareAndSet(false, true)) {
				this.slots.release();
			}
		};
		ServerCall.Listener<Q> listener;
		try {
			listener = next.startCall(call, headers);
		}
		catch (RuntimeException | Error ex) {
			release.run();
			throw ex;
		}
		return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {

			@Override
			public void onComplete() {
				try {
					super.onComplete();
				}
				finally {
					release.run();
				}
			}

			@Override
			public void onCancel() {
				try {
					super.onCancel();
				}
				finally {
					release.run();
				}
			}

		};
	}

	/**
	 * Stops the pool's threads (after the server has terminated).
	 */
	void shutdown() {
		this.pool.shutdownNow();
	}

	private static ThreadFactory threadFactory(@Nullable ThreadFactory threads) {
		AtomicInteger count = new AtomicInteger();
		return (runnable) -> {
			String name = "locksmith-grpc-" + count.incrementAndGet();
			if (threads != null) {
				Thread thread = threads.newThread(runnable);
				thread.setName(name);
				return thread;
			}
			Thread thread = new Thread(runnable, name);
			thread.setDaemon(true);
			return thread;
		};
	}

}
