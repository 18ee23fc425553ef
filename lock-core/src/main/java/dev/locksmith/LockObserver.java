package dev.locksmith;

import org.jspecify.annotations.Nullable;

/**
 * The engine's one instrumentation hook: it sees each acquisition of a lock handle (from the request until
 * it is granted or given up) and each hold (from the grant until the release or the loss), whether the call
 * came from {@link MutexService} directly or from an annotation. The Spring Boot starter implements it with
 * Micrometer {@code Observation}s (timers and spans); lock-core itself depends on no instrumentation
 * library. Set it with {@link Locksmith.Builder#observer(LockObserver)}; the default, {@link #NONE},
 * records nothing.
 *
 * <p>Threads: {@link #acquiring} and {@link Acquisition} run on the acquiring thread; a hold ends on the
 * releasing thread, or, when the lease is lost, on the service's callback executor (never on the renewal
 * thread). Implementations must be fast and thread-safe; an exception they throw is logged and ignored.
 * The lock key in {@link Request#key()} may be high-cardinality or sensitive: do not use it as a metric tag.
 */
@FunctionalInterface
public interface LockObserver {

	/** Records nothing. */
	LockObserver NONE = (request) -> Acquisition.NONE;

	/**
	 * Called on the acquiring thread before the first attempt of an acquisition.
	 * @param request what is being acquired
	 * @return the acquisition, told how it ends
	 */
	Acquisition acquiring(Request request);

	/**
	 * What an acquisition asks for.
	 *
	 * @param key the lock key (possibly high-cardinality: never a metric tag)
	 * @param name the lock's low-cardinality name ({@link LockOptions#withName}, else {@code "default"})
	 * @param provider the provider name
	 * @param type the lease type
	 */
	record Request(String key, String name, String provider, LeaseType type) {
	}

	/**
	 * One acquisition in progress; exactly one of its methods is called, once.
	 */
	interface Acquisition {

		/** Observes nothing. */
		Acquisition NONE = new Acquisition() {

			@Override
			public Hold acquired(LockHandle handle) {
				return Hold.NONE;
			}

			@Override
			public void failed(@Nullable Throwable error) {
			}

		};

		/**
		 * The lease was granted (called before the handle is returned to the caller).
		 * @param handle the new handle
		 * @return the hold, ended once when the lease is released or lost
		 */
		Hold acquired(LockHandle handle);

		/**
		 * The acquisition ended without a lease.
		 * @param error the failure ({@link LockProviderUnavailableException}, an interrupted wait, bad input),
		 * or {@code null} when the wait time ran out
		 */
		void failed(@Nullable Throwable error);

	}

	/**
	 * One held lease.
	 */
	interface Hold {

		/** Observes nothing. */
		Hold NONE = new Hold() {

			@Override
			public Scope openScope() {
				return Scope.NONE;
			}

			@Override
			public void ended(@Nullable Throwable error) {
			}

		};

		/**
		 * Makes this hold the current context of the calling thread (for example the parent of spans
		 * started by the locked code) until the returned scope is closed on the same thread.
		 * @return the scope to close
		 */
		Scope openScope();

		/**
		 * The hold ended; called once.
		 * @param error {@code null} when released, a {@link LockLostException} when the lease was lost, or the
		 * failure of a release that did not reach the backend (the lease then expires by its TTL)
		 */
		void ended(@Nullable Throwable error);

	}

	/**
	 * A hold made current on one thread by {@link Hold#openScope()}.
	 */
	interface Scope extends AutoCloseable {

		/** Does nothing. */
		Scope NONE = () -> {
		};

		/** Ends the scope on the thread that opened it. */
		@Override
		void close();

	}

}
