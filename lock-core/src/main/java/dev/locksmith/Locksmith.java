package dev.locksmith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;

import org.jspecify.annotations.Nullable;

import dev.locksmith.engine.LockEngine;
import dev.locksmith.spi.LockProvider;

/**
 * The entry point for building a {@link MutexService} without Spring:
 *
 * <pre>{@code
 * LockEngine locks = Locksmith.builder(new MemoryLockProvider())
 *         .keyPrefix("lock:")
 *         .defaults(LockOptions.defaults().withTtl(Duration.ofSeconds(30)))
 *         .build();
 * }</pre>
 *
 * Library defaults: TTL {@value #DEFAULT_TTL_SECONDS} s, wait time {@value #DEFAULT_WAIT_SECONDS} s,
 * auto-extension on (for locks without an explicit TTL), {@link Backoff#defaults()}, no minimum hold,
 * an empty key prefix, and a generated owner id.
 */
public final class Locksmith {

	/** Default lease TTL in seconds. */
	public static final long DEFAULT_TTL_SECONDS = 30;

	/** Default wait time in seconds. */
	public static final long DEFAULT_WAIT_SECONDS = 10;

	private Locksmith() {
	}

	/**
	 * Returns the library's default options: every value set.
	 * @return the defaults
	 */
	public static LockOptions libraryDefaults() {
		return LockOptions.defaults()
			.withTtl(Duration.ofSeconds(DEFAULT_TTL_SECONDS))
			.withWaitTime(Duration.ofSeconds(DEFAULT_WAIT_SECONDS))
			.withAutoExtend(true)
			.withBackoff(Backoff.defaults())
			.withMinHold(Duration.ZERO);
	}

	/**
	 * Starts building a service on {@code provider}.
	 * @param provider the backend
	 * @return the builder
	 */
	public static Builder builder(LockProvider provider) {
		return new Builder(provider);
	}

	/**
	 * Builds a {@link LockEngine}. Not thread-safe; build once.
	 */
	public static final class Builder {

		private final LockProvider provider;

		private @Nullable String ownerId;

		private String keyPrefix = "";

		private LockOptions defaults = libraryDefaults();

		private LockClock clock = LockClock.system();

		private final List<LockListener> listeners = new ArrayList<>();

		private LockObserver observer = LockObserver.NONE;

		private @Nullable Executor callbackExecutor;

		private @Nullable ThreadFactory threadFactory;

		private boolean backgroundRenewal = true;

		private @Nullable Executor asyncExecutor;

		private Builder(LockProvider provider) {
			this.provider = Objects.requireNonNull(provider, "provider must not be null");
		}

		/**
		 * Sets the owner id stored with every lease (default: host name, process id and a random suffix).
		 * @param ownerId the owner id, or null/blank for a generated one
		 * @return this builder
		 */
		public Builder ownerId(@Nullable String ownerId) {
			this.ownerId = ownerId;
			return this;
		}

		/**
		 * Sets the prefix prepended to every key on the backend (default: none).
		 * @param keyPrefix the prefix
		 * @return this builder
		 */
		public Builder keyPrefix(String keyPrefix) {
			this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
			return this;
		}

		/**
		 * Sets default options; values left unset keep the library defaults. Auto-extension stays on
		 * unless set here, even when a default TTL is given.
		 * @param defaults the default options
		 * @return this builder
		 * @throws IllegalArgumentException if a default renewal period or timeout does not fit the default TTL
		 * (see {@link LockOptions#requireRenewalFits})
		 */
		public Builder defaults(LockOptions defaults) {
			Objects.requireNonNull(defaults, "defaults must not be null");
			LockOptions withExtend = (defaults.autoExtend() != null) ? defaults
					: defaults.withAutoExtend(Boolean.TRUE.equals(libraryDefaults().autoExtend()));
			LockOptions resolved = withExtend.orElse(libraryDefaults());
			LockOptions.requireRenewalFits("Locksmith.Builder.defaults", resolved.ttl(), resolved.renewalPeriod(),
					resolved.renewalTimeout());
			this.defaults = resolved;
			return this;
		}

		/**
		 * Sets the time source (default: the system clock). Tests pass a manual clock.
		 * @param clock the clock
		 * @return this builder
		 */
		public Builder clock(LockClock clock) {
			this.clock = Objects.requireNonNull(clock, "clock must not be null");
			return this;
		}

		/**
		 * Adds an event listener.
		 * @param listener the listener
		 * @return this builder
		 */
		public Builder listener(LockListener listener) {
			this.listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
			return this;
		}

		/**
		 * Sets the instrumentation hook around each acquisition and hold (default {@link LockObserver#NONE}).
		 * The Spring Boot starter sets one backed by Micrometer's {@code ObservationRegistry} when the
		 * application has one.
		 * @param observer the observer
		 * @return this builder
		 */
		public Builder observer(LockObserver observer) {
			this.observer = Objects.requireNonNull(observer, "observer must not be null");
			return this;
		}

		/**
		 * Sets the executor that runs {@link LockHandle#onLost} callbacks and the events that the renewal
		 * machinery raises (RENEWED, RENEW_FAILED, LOST), so that user code never runs on the renewal thread
		 * and a slow callback never delays a renewal. Default: one thread for the events and a pool of at
		 * most four threads for {@code onLost} callbacks, made by the {@link #threadFactory thread factory},
		 * owned by the service and shut down by {@link LockEngine#close()}; an executor given here is not shut
		 * down by the service.
		 * {@code Runnable::run} runs them on the thread that noticed the loss, which is only sensible for
		 * deterministic tests with {@link #backgroundRenewal(boolean) background renewal} off.
		 * @param callbackExecutor the executor
		 * @return this builder
		 */
		public Builder callbackExecutor(Executor callbackExecutor) {
			this.callbackExecutor = Objects.requireNonNull(callbackExecutor, "callbackExecutor must not be null");
			return this;
		}

		/**
		 * Sets the factory of the threads the service runs callbacks and events on when no
		 * {@link #callbackExecutor callback executor} is given (default: daemon platform threads). Pass a
		 * virtual-thread factory ({@code Thread.ofVirtual().factory()} on JDK 21+) to run them on virtual
		 * threads. The renewal thread is not made by it: it stays a platform thread, so that renewals never
		 * wait for a carrier thread.
		 * @param threadFactory the thread factory
		 * @return this builder
		 */
		public Builder threadFactory(ThreadFactory threadFactory) {
			this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory must not be null");
			return this;
		}

		/**
		 * Sets whether a background daemon thread runs renewals and deadline checks by itself (default
		 * {@code true}). With {@code false}, no background thread runs anything by itself: the caller drives
		 * {@link LockEngine#runDueRenewals()}, typically after advancing a manual {@link LockClock}. For
		 * deterministic simulation and for embedding in a host that has its own scheduler; leases are not
		 * renewed, and not declared lost at their deadline, unless {@code runDueRenewals()} is called.
		 * @param backgroundRenewal whether to renew in the background
		 * @return this builder
		 */
		public Builder backgroundRenewal(boolean backgroundRenewal) {
			this.backgroundRenewal = backgroundRenewal;
			return this;
		}

		/**
		 * Sets the executor that runs {@link dev.locksmith.MutexService#withLockAsync} acquisitions (each
		 * occupies a thread while it waits for its lock) and calls their actions. Give a bounded one: a full
		 * executor that rejects fails the returned future at once. Default: a pool owned by the service of at
		 * most {@value LockEngine#ASYNC_THREADS} daemon threads and {@value LockEngine#ASYNC_QUEUE} queued
		 * acquisitions, shut down by {@link LockEngine#close()}; an executor given here is not shut down.
		 * @param asyncExecutor the executor
		 * @return this builder
		 */
		public Builder asyncExecutor(Executor asyncExecutor) {
			this.asyncExecutor = Objects.requireNonNull(asyncExecutor, "asyncExecutor must not be null");
			return this;
		}

		/**
		 * Builds the service.
		 * @return the engine
		 */
		public LockEngine build() {
			String owner = (this.ownerId == null || this.ownerId.isBlank()) ? LockEngine.generateOwnerId()
					: this.ownerId;
			return new LockEngine(this.provider, owner, this.keyPrefix, this.defaults, this.clock, this.listeners,
					this.observer, this.callbackExecutor, this.threadFactory, this.backgroundRenewal, this.asyncExecutor);
		}

	}

}
