package dev.locksmith.engine;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.locksmith.Backoff;
import dev.locksmith.DistributedReadWriteLock;
import dev.locksmith.DistributedSemaphore;
import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;
import dev.locksmith.LockAlreadyHeldException;
import dev.locksmith.LockClock;
import dev.locksmith.LockEvent;
import dev.locksmith.LockHandle;
import dev.locksmith.LockInfo;
import dev.locksmith.LockListener;
import dev.locksmith.LockLostException;
import dev.locksmith.LockNotAcquiredException;
import dev.locksmith.LockObserver;
import dev.locksmith.LockOptions;
import dev.locksmith.LockPage;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.LockStatistics;
import dev.locksmith.LockedCallable;
import dev.locksmith.LockedRunnable;
import dev.locksmith.MultiLockHandle;
import dev.locksmith.MutexService;
import dev.locksmith.ReleaseOutcome;
import dev.locksmith.spi.KeyText;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.spi.ReleaseSubscription;

/**
 * The {@link MutexService} implementation: waiting, retry, renewal, loss detection and events on top
 * of one {@link LockProvider}. Build it with {@link dev.locksmith.Locksmith#builder}. Thread-safe.
 * {@link #close()} stops renewals and releases the leases still held.
 */
public final class LockEngine implements MutexService, AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(LockEngine.class);

	/** Name given to locks acquired without {@link LockOptions#withName}. */
	public static final String DEFAULT_NAME = "default";

	/**
	 * The longest outer lease id a nested read's id extends, so that the id fits every provider (JDBC: 128
	 * characters).
	 */
	private static final int MAX_NESTED_OUTER_ID_LENGTH = 100;

	/** Added to a denied grant's hint so that a waiter wakes just after the blocking lease expired. */
	private static final long HINT_SLACK_NANOS = 1_000_000L;

	private static final SecureRandom RANDOM = new SecureRandom();

	private final LockProvider provider;

	private final String ownerId;

	private final String keyPrefix;

	private final LockOptions defaults;

	private final LockClock clock;

	private final List<LockListener> listeners;

	private final GuardedObserver observer;

	final EngineStatistics statistics = new EngineStatistics();

	private final Renewer renewer;

	private final ConcurrentHashMap<String, HeldLease[]> heldByKey = new ConcurrentHashMap<>();

	/**
	 * Threads of the engine's own {@code onLost} pool: callbacks that block hold up the others only when
	 * this many block at once.
	 */
	static final int LOST_CALLBACK_THREADS = 4;

	private final AtomicInteger active = new AtomicInteger();

	private final String leaseIdPrefix;

	private final AtomicLong leaseCounter = new AtomicLong();

	private final AtomicLong handleSequence = new AtomicLong();

	private final Executor callbackExecutor;

	/** The default callback executor, owned (and shut down) by this engine; null when the caller gave one. */
	private final @Nullable ExecutorService ownedCallbackExecutor;

	/**
	 * Runs {@code onLost} callbacks: the caller's executor if it gave one, else a pool owned by this engine
	 * that runs each lost lease's callbacks on a thread of their own, so that a callback that blocks holds up
	 * neither the events nor any other lease's callbacks.
	 */
	private final Executor lostCallbackExecutor;

	/**
	 * Runs the {@link #onLostSignal loss signals} (Locksmith's own short reactions, such as interrupting the
	 * method that holds the lease): the caller's executor if it gave one, else a daemon platform thread owned
	 * by this engine (whatever the thread factory) that runs no user code, so that {@code onLost} callbacks
	 * blocking every thread of the pool above, or virtual threads pinning every carrier, never delay them.
	 */
	private final Executor lostSignalExecutor;

	/** Most threads of the default async executor, each running one {@code withLockAsync} acquisition. */
	public static final int ASYNC_THREADS = 16;

	/** Most {@code withLockAsync} acquisitions the default async executor queues before refusing more. */
	public static final int ASYNC_QUEUE = 1024;

	/** Runs {@code withLockAsync} acquisitions: bounded in threads and queue. */
	private final Executor asyncExecutor;

	/** The default async executor, owned (and shut down) by this engine; null when the caller gave one. */
	private final @Nullable ExecutorService ownedAsyncExecutor;

	private volatile boolean closed;

	/**
	 * Creates an engine with background renewal and the default callback executor. Prefer
	 * {@link dev.locksmith.Locksmith#builder}.
	 * @param provider the backend
	 * @param ownerId the owner id stored with every lease
	 * @param keyPrefix prepended to every key on the backend
	 * @param defaults fully resolved default options (TTL, wait time, auto-extend, backoff and minimum hold set)
	 * @param clock the time source
	 * @param listeners the event listeners
	 */
	public LockEngine(LockProvider provider, String ownerId, String keyPrefix, LockOptions defaults, LockClock clock,
			List<LockListener> listeners) {
		this(provider, ownerId, keyPrefix, defaults, clock, listeners, null, true);
	}

	/**
	 * Creates an engine. Prefer {@link dev.locksmith.Locksmith#builder}.
	 * @param provider the backend
	 * @param ownerId the owner id stored with every lease
	 * @param keyPrefix prepended to every key on the backend
	 * @param defaults fully resolved default options (TTL, wait time, auto-extend, backoff and minimum hold set)
	 * @param clock the time source
	 * @param listeners the event listeners
	 * @param callbackExecutor runs {@code onLost} callbacks and the events the renewal machinery raises, or
	 * null for executors owned by this engine (daemon platform threads)
	 * @param backgroundRenewal whether a daemon thread runs renewals by itself; when false, the caller drives
	 * {@link #runDueRenewals()}
	 */
	public LockEngine(LockProvider provider, String ownerId, String keyPrefix, LockOptions defaults, LockClock clock,
			List<LockListener> listeners, @Nullable Executor callbackExecutor, boolean backgroundRenewal) {
		this(provider, ownerId, keyPrefix, defaults, clock, listeners, LockObserver.NONE, callbackExecutor, null,
				backgroundRenewal, null);
	}

	/**
	 * Creates an engine. Prefer {@link dev.locksmith.Locksmith#builder}.
	 * @param provider the backend
	 * @param ownerId the owner id stored with every lease
	 * @param keyPrefix prepended to every key on the backend
	 * @param defaults fully resolved default options (TTL, wait time, auto-extend, backoff and minimum hold set)
	 * @param clock the time source
	 * @param listeners the event listeners
	 * @param observer the instrumentation hook around each acquisition and hold ({@link LockObserver#NONE} for none)
	 * @param callbackExecutor runs {@code onLost} callbacks and the events the renewal machinery raises, or
	 * null for a callback thread, a bounded pool for {@code onLost} callbacks and a thread for
	 * {@link #onLostSignal loss signals}, owned by this engine
	 * @param threadFactory makes the threads of the executors this engine owns (not the renewal thread), or
	 * null for daemon platform threads
	 * @param backgroundRenewal whether a daemon thread runs renewals by itself; when false, the caller drives
	 * {@link #runDueRenewals()}
	 * @param asyncExecutor runs {@code withLockAsync} acquisitions, or null for a pool owned by this engine of
	 * at most {@value #ASYNC_THREADS} threads and {@value #ASYNC_QUEUE} queued acquisitions; give a bounded one
	 */
	public LockEngine(LockProvider provider, String ownerId, String keyPrefix, LockOptions defaults, LockClock clock,
			List<LockListener> listeners, LockObserver observer, @Nullable Executor callbackExecutor,
			@Nullable ThreadFactory threadFactory, boolean backgroundRenewal, @Nullable Executor asyncExecutor) {
		this.provider = Objects.requireNonNull(provider, "provider must not be null");
		this.ownerId = requireText(ownerId, "ownerId");
		this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
		Objects.requireNonNull(defaults, "defaults must not be null");
		if (defaults.ttl() == null || defaults.waitTime() == null || defaults.autoExtend() == null
				|| defaults.backoff() == null || defaults.minHold() == null) {
			throw new IllegalArgumentException("LockEngine defaults must set ttl, waitTime, autoExtend, backoff and minHold: "
					+ defaults);
		}
		this.defaults = defaults;
		this.clock = Objects.requireNonNull(clock, "clock must not be null");
		this.listeners = List.copyOf(listeners);
		this.observer = new GuardedObserver(Objects.requireNonNull(observer, "observer must not be null"));
		this.leaseIdPrefix = HexFormat.of().formatHex(randomBytes(8)) + ":";
		if (callbackExecutor != null) {
			this.callbackExecutor = callbackExecutor;
			this.ownedCallbackExecutor = null;
			this.lostCallbackExecutor = callbackExecutor;
			this.lostSignalExecutor = callbackExecutor;
		}
		else {
			ThreadFactory threads = (threadFactory != null) ? threadFactory : LockEngine::daemonThread;
			this.callbackExecutor = ownedPool(1, threads, "locksmith-callbacks");
			this.ownedCallbackExecutor = (ExecutorService) this.callbackExecutor;
			this.lostCallbackExecutor = ownedPool(LOST_CALLBACK_THREADS, threads, "locksmith-on-lost");
			// a platform thread, like the renewal thread: no carrier pinned by user code may delay an interrupt
			this.lostSignalExecutor = ownedPool(1, LockEngine::daemonThread, "locksmith-lost-signals");
		}
		if (asyncExecutor != null) {
			this.asyncExecutor = asyncExecutor;
			this.ownedAsyncExecutor = null;
		}
		else {
			ThreadFactory factory = (threadFactory != null) ? threadFactory : LockEngine::daemonThread;
			AtomicInteger threads = new AtomicInteger();
			ThreadPoolExecutor owned = new ThreadPoolExecutor(ASYNC_THREADS, ASYNC_THREADS, 30, TimeUnit.SECONDS,
					new LinkedBlockingQueue<>(ASYNC_QUEUE), (runnable) -> {
						Thread thread = factory.newThread(runnable);
						thread.setName("locksmith-async-" + threads.incrementAndGet());
						return thread;
					});
			owned.allowCoreThreadTimeOut(true);
			this.asyncExecutor = owned;
			this.ownedAsyncExecutor = owned;
		}
		this.renewer = new Renewer(provider, clock, backgroundRenewal, Runnable::run);
		provider.setLeaseLossListener(this::leaseLostByProvider);
	}

	/**
	 * Returns the backend this engine runs on.
	 * @return the provider
	 */
	public LockProvider provider() {
		return this.provider;
	}

	/**
	 * Returns the resolved default options.
	 * @return the defaults
	 */
	public LockOptions defaults() {
		return this.defaults;
	}

	/**
	 * Returns the key prefix used on the backend.
	 * @return the key prefix
	 */
	public String keyPrefix() {
		return this.keyPrefix;
	}

	LockClock clock() {
		return this.clock;
	}

	/**
	 * Runs the renewals and deadline checks that are due now. With background renewal on, the engine's
	 * scheduler thread does this by itself; with it off, and in tests that drive a manual {@link LockClock},
	 * the caller calls it after advancing the clock. It sends the due renewals in one call on the calling
	 * thread, unless an earlier call's renewal is still out: then it only runs the deadline checks (a lease
	 * whose deadline passed is declared lost even while its renewal call hangs), and that earlier call sends
	 * them once answered.
	 */
	public void runDueRenewals() {
		this.renewer.runDue();
	}

	// ---------------------------------------------------------------- MutexService

	@Override
	public <T, E extends Exception> T withLock(String key, LockedCallable<T, E> action) throws E {
		return withLock(key, LockOptions.defaults(), action);
	}

	@Override
	public <E extends Exception> void withLock(String key, LockedRunnable<E> action) throws E {
		withLock(key, LockOptions.defaults(), action);
	}

	@Override
	public <E extends Exception> void withLock(String key, LockOptions options, LockedRunnable<E> action) throws E {
		Objects.requireNonNull(action, "action must not be null");
		withLock(key, options, () -> {
			action.run();
			return null;
		});
	}

	@Override
	public <T, E extends Exception> T withLock(String key, LockOptions options, LockedCallable<T, E> action) throws E {
		Objects.requireNonNull(action, "action must not be null");
		HeldLease handle = acquireTracked("withLock", key, LeaseType.WRITE, 1, 1, options, true);
		return callHolding(handle, action);
	}

	@Override
	public <T, E extends Exception> Optional<T> tryWithLock(String key, Duration waitTime, LockedCallable<T, E> action)
			throws E {
		return tryWithLock(key, LockOptions.waitTime(waitTime), action);
	}

	@Override
	public <T, E extends Exception> Optional<T> tryWithLock(String key, LockOptions options,
			LockedCallable<T, E> action) throws E {
		Objects.requireNonNull(action, "action must not be null");
		HeldLease handle = acquireTracked("tryWithLock", key, LeaseType.WRITE, 1, 1, options, false);
		if (handle == null) {
			return Optional.empty();
		}
		return Optional.ofNullable(callHolding(handle, action));
	}

	/**
	 * Runs {@code action} while {@code handle} is held and releases it afterwards, whatever happens.
	 * A lease lost while the action ran is reported with {@link LockLostException}: thrown after a normal
	 * return, or added as suppressed to the action's own exception.
	 * @param <T> the result type
	 * @param <E> the action's exception type
	 * @param handle the held lease
	 * @param action the action
	 * @return the action's result
	 * @throws E if the action fails
	 */
	public static <T, E extends Exception> T callHolding(LockHandle handle, LockedCallable<T, E> action) throws E {
		return callThenRelease(action, () -> openScope(handle), handle::release, () -> lostWhileRunning(handle));
	}

	/**
	 * Runs {@code action} in the scope {@code scope} opens, then {@code release}, whatever the action does; a
	 * loss found by the release is thrown after a normal return, or added as suppressed to the action's own
	 * exception.
	 */
	private static <T, E extends Exception> T callThenRelease(LockedCallable<T, E> action,
			Supplier<LockObserver.Scope> scope, Supplier<ReleaseOutcome> release, Supplier<LockLostException> lost)
			throws E {
		T result;
		try (LockObserver.Scope opened = scope.get()) {
			result = action.call();
		}
		catch (Throwable ex) {
			try {
				if (release.get() == ReleaseOutcome.LOST) {
					ex.addSuppressed(lost.get());
				}
			}
			catch (RuntimeException releaseFailure) {
				ex.addSuppressed(releaseFailure);
			}
			throw ex;
		}
		if (release.get() == ReleaseOutcome.LOST) {
			throw lost.get();
		}
		return result;
	}

	/**
	 * Makes the hold of {@code handle} the current observation context of the calling thread (so that spans
	 * started by the locked code are its children) until the returned scope is closed on the same thread.
	 * {@link #callHolding} and {@code withLock} do this themselves; the {@code @DistributedLock} advice calls
	 * it around the annotated method.
	 * @param handle a handle from a {@link LockEngine}; any other handle gets a scope that does nothing
	 * @return the scope to close
	 */
	public static LockObserver.Scope openScope(LockHandle handle) {
		return (handle instanceof HeldLease lease) ? lease.openScope() : LockObserver.Scope.NONE;
	}

	/**
	 * Makes the holds of a set of leases current on the calling thread, in the set's order (so spans started
	 * by the locked code are children of the last one's hold), until the returned scope is closed on the
	 * same thread, which closes them in reverse. {@link #withLocks} does this itself; the
	 * {@code @DistributedLock(keys = ...)} advice calls it around the annotated method.
	 * @param locks the held set
	 * @return the scope to close
	 */
	public static LockObserver.Scope openScope(MultiLockHandle locks) {
		List<LockObserver.Scope> scopes = new ArrayList<>();
		try {
			for (LockHandle handle : locks.handles()) {
				scopes.add(openScope(handle));
			}
		}
		catch (RuntimeException | Error ex) {
			closeInReverse(scopes);
			throw ex;
		}
		return () -> closeInReverse(scopes);
	}

	private static void closeInReverse(List<LockObserver.Scope> scopes) {
		for (int i = scopes.size() - 1; i >= 0; i--) {
			scopes.get(i).close();
		}
	}

	private static LockLostException lostWhileRunning(LockHandle handle) {
		return new LockLostException(handle.key(), "Lock '" + handle.key() + "' (fencing token "
				+ handle.fencingToken() + ") was lost while the locked action ran");
	}

	@Override
	public <T> CompletableFuture<T> withLockAsync(String key, Supplier<? extends CompletionStage<T>> action) {
		return withLockAsync(key, LockOptions.defaults(), action);
	}

	@Override
	public <T> CompletableFuture<T> withLockAsync(String key, LockOptions options,
			Supplier<? extends CompletionStage<T>> action) {
		requireOpen("withLockAsync");
		return AsyncLocking.withLockAsync(this, this.asyncExecutor, key, options, action);
	}

	@Override
	public MultiLockHandle acquireAll(Collection<String> keys, LockOptions options) {
		requireOpen("acquireAll");
		return Objects.requireNonNull(EngineMultiLock.acquire(this, "acquireAll", keys, options, true));
	}

	@Override
	public Optional<MultiLockHandle> tryAcquireAll(Collection<String> keys, LockOptions options) {
		requireOpen("tryAcquireAll");
		return Optional.ofNullable(EngineMultiLock.acquire(this, "tryAcquireAll", keys, options, false));
	}

	@Override
	public <T, E extends Exception> T withLocks(Collection<String> keys, LockOptions options,
			LockedCallable<T, E> action) throws E {
		Objects.requireNonNull(action, "action must not be null");
		requireOpen("withLocks");
		EngineMultiLock locks = Objects.requireNonNull(EngineMultiLock.acquire(this, "withLocks", keys, options, true));
		return callThenRelease(action, () -> openScope(locks), locks::release, locks::lostException);
	}

	@Override
	public LockHandle acquire(String key) {
		return acquire(key, LockOptions.defaults());
	}

	@Override
	public LockHandle acquire(String key, LockOptions options) {
		return acquireTracked("acquire", key, LeaseType.WRITE, 1, 1, options, true);
	}

	@Override
	public Optional<LockHandle> tryAcquire(String key) {
		return tryAcquire(key, LockOptions.waitTime(Duration.ZERO));
	}

	@Override
	public Optional<LockHandle> tryAcquire(String key, LockOptions options) {
		return Optional.ofNullable(acquireTracked("tryAcquire", key, LeaseType.WRITE, 1, 1, options, false));
	}

	@Override
	public Optional<LeaseInfo> acquireDetached(String key, LockOptions options) {
		requireKey("acquireDetached", key);
		Objects.requireNonNull(options, "options must not be null");
		requireOpen("acquireDetached");
		LockOptions resolved = resolve(options);
		long start = this.clock.nanoTime();
		Attempt attempt = acquireLoop(key, LeaseType.WRITE, 1, 1, resolved, UUID.randomUUID().toString(), start);
		if (attempt == null) {
			return Optional.empty();
		}
		// The backend expires the lease ttl after it received the request: report the expiry from when the
		// request was sent, never from the (later) reply.
		Instant now = this.clock.now();
		Instant sent = now.minusNanos(Math.max(0, this.clock.nanoTime() - attempt.sentAt));
		return Optional.of(new LeaseInfo(attempt.request.leaseId(), this.ownerId, LeaseType.WRITE, 1, attempt.token,
				now, sent.plus(resolved.ttl()), resolved.metadata()));
	}

	@Override
	public boolean releaseLease(String key, String leaseId) {
		requireKey("releaseLease", key);
		requireText(leaseId, "leaseId");
		return this.provider.release(new LeaseRef(backendKey(key), LeaseType.WRITE, leaseId));
	}

	@Override
	public boolean extendLease(String key, String leaseId, Duration ttl) {
		requireKey("extendLease", key);
		requireText(leaseId, "leaseId");
		LockOptions.requireTtl("MutexService.extendLease", ttl);
		return this.provider.extend(new LeaseRef(backendKey(key), LeaseType.WRITE, leaseId), ttl);
	}

	@Override
	public DistributedReadWriteLock readWrite(String name) {
		requireKey("readWrite", name);
		return new EngineReadWriteLock(this, name);
	}

	@Override
	public DistributedSemaphore semaphore(String name, int permits) {
		requireKey("semaphore", name);
		if (permits < 1) {
			throw new IllegalArgumentException(
					"MutexService.semaphore: permits must be at least 1, was " + permits + " for '" + name + "'");
		}
		return new EngineSemaphore(this, name, permits);
	}

	@Override
	public boolean isLocked(String key) {
		return inspect(key).isLocked();
	}

	@Override
	public int activeLockCount() {
		return this.active.get();
	}

	@Override
	public List<LockHandle> heldLocks() {
		List<HeldLease> all = new ArrayList<>();
		for (HeldLease[] handles : this.heldByKey.values()) {
			for (HeldLease handle : handles) {
				all.add(handle);
			}
		}
		all.sort(Comparator.comparingLong((HeldLease lease) -> lease.sequence));
		return List.copyOf(all);
	}

	@Override
	public LockInfo inspect(String key) {
		requireKey("inspect", key);
		LockInfo info = this.provider.inspect(backendKey(key));
		return new LockInfo(key, info.phase(), info.leases());
	}

	@Override
	public LockPage list(String keyPrefix, int offset, int limit) {
		java.util.Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
		if (offset < 0) {
			throw new IllegalArgumentException("MutexService.list: offset must not be negative, was " + offset);
		}
		if (limit < 1) {
			throw new IllegalArgumentException("MutexService.list: limit must be at least 1, was " + limit);
		}
		LockPage page = this.provider.list(backendKey(keyPrefix), offset, limit);
		List<LockInfo> locks = new ArrayList<>(page.locks().size());
		for (LockInfo info : page.locks()) {
			locks.add(new LockInfo(callerKey(info.key()), info.phase(), info.leases()));
		}
		return new LockPage(locks, page.total());
	}

	/** The key on the backend: the key prefix, then the caller's key. The one place the prefix is added. */
	private String backendKey(String key) {
		return this.keyPrefix + key;
	}

	/** The caller's key of a key read from the backend: without the key prefix. The one place it is removed. */
	private String callerKey(String backendKey) {
		return backendKey.startsWith(this.keyPrefix) ? backendKey.substring(this.keyPrefix.length()) : backendKey;
	}

	@Override
	public boolean forceRelease(String key) {
		requireKey("forceRelease", key);
		return this.provider.forceRelease(backendKey(key));
	}

	@Override
	public LockStatistics statistics() {
		return this.statistics.snapshot(this.active.get());
	}

	@Override
	public String providerName() {
		return this.provider.name();
	}

	@Override
	public String ownerId() {
		return this.ownerId;
	}

	/**
	 * Stops renewals and releases every lease this engine still holds (best effort). Does not close the
	 * provider.
	 */
	@Override
	public void close() {
		if (this.closed) {
			return;
		}
		this.closed = true;
		for (LockHandle handle : heldLocks()) {
			try {
				handle.release();
			}
			catch (RuntimeException ex) {
				logger.debug("Could not release {} on close", handle, ex);
			}
		}
		this.renewer.shutdown();
		if (this.ownedAsyncExecutor != null) {
			this.ownedAsyncExecutor.shutdown();
		}
		if (this.ownedCallbackExecutor != null) {
			this.ownedCallbackExecutor.shutdown();
			((ExecutorService) this.lostCallbackExecutor).shutdown();
			((ExecutorService) this.lostSignalExecutor).shutdown();
		}
	}

	// ---------------------------------------------------------------- acquisition

	@Nullable HeldLease acquireTracked(String method, String key, LeaseType type, int permits, int limit,
			LockOptions options, boolean throwIfNotAcquired) {
		return acquireTracked(method, key, type, permits, limit, options, throwIfNotAcquired, true);
	}

	/**
	 * Acquires a lease and tracks it. {@code threadBound} says whether the calling thread holds it for the
	 * critical section (then reacquiring the key on that thread fails fast as non-reentrant); a lease taken
	 * on a pool thread for asynchronous work is not bound to that thread, which goes on to other tasks.
	 */
	@Nullable HeldLease acquireTracked(String method, String key, LeaseType type, int permits, int limit,
			LockOptions options, boolean throwIfNotAcquired, boolean threadBound) {
		requireKey(method, key);
		Objects.requireNonNull(options, "options must not be null");
		requireOpen(method);
		String backendKey = backendKey(key);
		if (threadBound && type != LeaseType.PERMITS) {
			checkNotHeldByThisThread(key, backendKey, type);
		}
		String nestedLeaseId = (threadBound && type == LeaseType.READ) ? nestedReadLeaseId(backendKey) : null;
		LockOptions resolved = resolve(options);
		if (Boolean.TRUE.equals(resolved.autoExtend())) {
			LockOptions.requireRenewalFits("MutexService." + method, resolved.ttl(), resolved.renewalPeriod(),
					resolved.renewalTimeout());
		}
		LockObserver.Acquisition observed = this.observer
			.acquiring(new LockObserver.Request(key, nameOf(resolved), this.provider.name(), type));
		long start = this.clock.nanoTime();
		Attempt attempt;
		try {
			attempt = acquireLoop(key, type, permits, limit, resolved, nestedLeaseId, start);
		}
		catch (RuntimeException | Error ex) {
			observed.failed(ex);
			throw ex;
		}
		if (attempt == null) {
			observed.failed(null);
			if (throwIfNotAcquired) {
				throw new LockNotAcquiredException(key, Duration.ofNanos(this.clock.nanoTime() - start));
			}
			return null;
		}
		HeldLease lease = null;
		try {
			lease = new HeldLease(this, this.renewer, attempt.request.ref(), key, nameOf(resolved), permits,
					attempt.token, this.clock.now(), attempt.sentAt, resolved.ttl(), resolved.metadata(),
					Boolean.TRUE.equals(resolved.autoExtend()), resolved.minHold(), resolved.renewalPeriod(),
					resolved.renewalTimeout(), this.handleSequence.incrementAndGet(), threadBound ? Thread.currentThread() : null);
			// Counted and announced before it is registered: from then on close(), the renewer or the backend
			// may release it or report it lost, and those must follow the ACQUIRED event, never precede it.
			this.statistics.acquired.increment();
			lease.observe(observed.acquired(lease));
			fire(LockEvent.Type.ACQUIRED, lease, this.clock.nanoTime() - start, null);
			register(lease);
		}
		catch (RuntimeException | Error ex) {
			releaseQuietly(attempt.request.ref());
			if (lease != null) {
				lease.endObservation(ex);
			}
			else {
				observed.failed(ex);
			}
			throw ex;
		}
		if (this.closed) {
			// close() ran while this acquisition was in flight and did not see the new lease
			releaseQuietly(lease);
			throw new IllegalStateException("MutexService." + method + ": the lock service is closed");
		}
		return lease;
	}

	private void requireOpen(String method) {
		if (this.closed) {
			throw new IllegalStateException("MutexService." + method + ": the lock service is closed");
		}
	}

	private record Attempt(LeaseRequest request, long token, long sentAt) {
	}

	/**
	 * Tries until granted or the wait time runs out. Returns null when not acquired; throws
	 * {@link LockProviderUnavailableException} when the last attempt failed on the backend.
	 *
	 * <p>Every attempt of one acquisition sends the same lease id, so that an attempt whose reply was lost
	 * after the backend granted it is found again by the next attempt (providers return the existing grant
	 * for a re-sent lease id). If an attempt's outcome was unknown and the acquisition ends without a grant
	 * (wait time over, interrupted, backend still failing), the lease id is released, best effort, so that
	 * no orphaned lease blocks the key until its TTL.
	 */
	private @Nullable Attempt acquireLoop(String key, LeaseType type, int permits, int limit, LockOptions options,
			@Nullable String fixedLeaseId, long start) {
		String backendKey = backendKey(key);
		String leaseId = (fixedLeaseId != null) ? fixedLeaseId
				: this.leaseIdPrefix + Long.toString(this.leaseCounter.incrementAndGet(), 36);
		LeaseRequest request = new LeaseRequest(backendKey, type, leaseId, this.ownerId, options.ttl(), permits, limit,
				options.metadata());
		long waitNanos = options.waitTime().toNanos();
		Backoff backoff = options.backoff();
		int attempts = 0;
		ReleaseSubscription subscription = null;
		LockProviderUnavailableException lastError = null;
		boolean outcomeUnknown = false;
		boolean granted = false;
		boolean woken = false; // the last pause ended with a release signal
		boolean wakeUpUnused = false; // ... and the attempt after it got no answer
		try {
			if (waitNanos > 0 && this.provider.queuesWaiters()) {
				// before the first attempt, so that every attempt of this acquisition is queued
				subscription = this.provider.subscribe(request);
			}
			while (true) {
				attempts++;
				long sentAt = this.clock.nanoTime();
				Grant grant = null;
				boolean answered = false;
				try {
					grant = this.provider.acquire(request);
					answered = true;
					lastError = null;
				}
				catch (LockProviderUnavailableException ex) {
					lastError = ex;
				}
				catch (IllegalArgumentException ex) {
					// bad input (a provider's key, metadata or TTL limit), refused before anything was applied:
					// the outcome is known, nothing to release, never retried as an outage
					answered = true;
					throw ex;
				}
				catch (RuntimeException ex) {
					lastError = new LockProviderUnavailableException(key, "Lock provider '" + this.provider.name()
							+ "' failed to acquire '" + KeyText.forMessage(key) + "': " + ex.getMessage(), ex);
				}
				finally {
					// no answer (an exception, or an Error passing through): the backend may have granted
					outcomeUnknown |= !answered;
					wakeUpUnused = woken && !answered;
					woken = false;
				}
				if (grant != null && grant.isGranted()) {
					granted = true;
					return new Attempt(request, grant.fencingToken(), sentAt);
				}
				// elapsed is a difference of monotonic readings, so this cannot overflow
				long remaining = waitNanos - (this.clock.nanoTime() - start);
				if (remaining <= 0 || !backoff.allowsAnotherAttempt(attempts)) {
					return failed(key, options, start, lastError);
				}
				long sleep;
				if (grant == null) {
					sleep = backoff.delayNanos(attempts);
				}
				else {
					if (subscription == null && this.provider.notifiesReleases()) {
						// Subscribe, then try again at once: a release between the denial and the
						// subscription would otherwise be missed.
						subscription = this.provider.subscribe(request);
						continue;
					}
					Duration hint = grant.retryAfter();
					sleep = (hint != null) ? saturatedAdd(saturatedNanos(hint), HINT_SLACK_NANOS) : Long.MAX_VALUE;
					if (subscription == null || hint == null) {
						sleep = Math.min(sleep, backoff.delayNanos(attempts));
					}
				}
				int paused = pause(subscription, Math.min(sleep, remaining));
				woken = paused == SIGNALLED;
				if (paused == INTERRUPTED) {
					failed(key, options, start, null);
					throw new LockNotAcquiredException(key, Duration.ofNanos(this.clock.nanoTime() - start),
							"Interrupted while waiting for lock '" + KeyText.forMessage(key) + "'");
				}
			}
		}
		finally {
			if (subscription != null) {
				if (!granted && wakeUpUnused) {
					subscription.wakeUpUnused(); // so that close() passes the release on to the next waiter
				}
				subscription.close();
			}
			if (!granted && outcomeUnknown) {
				releaseQuietly(request.ref());
			}
		}
	}

	private @Nullable Attempt failed(String key, LockOptions options, long start,
			@Nullable LockProviderUnavailableException error) {
		this.statistics.failed.increment();
		fire(LockEvent.Type.FAILED, null, key, nameOf(options), this.clock.nanoTime() - start, error);
		if (error != null) {
			throw error;
		}
		return null;
	}

	private static final int INTERRUPTED = 0;

	private static final int TIMED_OUT = 1;

	private static final int SIGNALLED = 2;

	/**
	 * Waits up to {@code nanos}; returns {@link #SIGNALLED} if a release was signalled, {@link #TIMED_OUT}
	 * when the time passed, or {@link #INTERRUPTED} (the flag is restored).
	 */
	private static int pause(@Nullable ReleaseSubscription subscription, long nanos) {
		try {
			if (subscription != null) {
				return subscription.await(nanos) ? SIGNALLED : TIMED_OUT;
			}
			TimeUnit.NANOSECONDS.sleep(nanos);
			return TIMED_OUT;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return INTERRUPTED;
		}
	}

	/**
	 * The lease id of a read nested in a read this thread holds on the key: {@code <outer lease id>:<n>}, so
	 * that a provider that holds new readers back while a writer waits (Redis) can tell it from a new reader
	 * and let it in, as {@link java.util.concurrent.locks.ReentrantReadWriteLock} lets a thread that already
	 * reads read again: holding it back would leave the thread waiting for the writer, which waits for the
	 * thread's outer read. The outer read is this thread's live read with the shortest id; {@code null} (a
	 * fresh id) when there is none, or when its id is already long (a chain of nested reads, each outliving
	 * the one it was nested in).
	 */
	private @Nullable String nestedReadLeaseId(String backendKey) {
		HeldLease[] handles = this.heldByKey.get(backendKey);
		if (handles == null) {
			return null;
		}
		Thread current = Thread.currentThread();
		String outer = null;
		for (HeldLease handle : handles) {
			if (handle.acquiringThread == current && handle.isHeld() && handle.type() == LeaseType.READ
					&& (outer == null || handle.ref.leaseId().length() < outer.length())) {
				outer = handle.ref.leaseId();
			}
		}
		if (outer == null || outer.length() > MAX_NESTED_OUTER_ID_LENGTH) {
			return null;
		}
		return outer + ":" + Long.toString(this.leaseCounter.incrementAndGet(), 36);
	}

	private void checkNotHeldByThisThread(String key, String backendKey, LeaseType type) {
		HeldLease[] handles = this.heldByKey.get(backendKey);
		if (handles == null) {
			return;
		}
		Thread current = Thread.currentThread();
		for (HeldLease handle : handles) {
			if (handle.acquiringThread == current && handle.isHeld()
					&& (type == LeaseType.WRITE || handle.type() == LeaseType.WRITE)) {
				throw new LockAlreadyHeldException(key);
			}
		}
	}

	private LockOptions resolve(LockOptions options) {
		return options.orElse(this.defaults);
	}

	private static String nameOf(LockOptions options) {
		String name = options.name();
		return (name != null) ? name : DEFAULT_NAME;
	}

	// ---------------------------------------------------------------- held handles

	private void register(HeldLease lease) {
		this.heldByKey.compute(lease.ref.key(), (k, handles) -> {
			if (handles == null) {
				return new HeldLease[] { lease };
			}
			HeldLease[] more = java.util.Arrays.copyOf(handles, handles.length + 1);
			more[handles.length] = lease;
			return more;
		});
		this.active.incrementAndGet();
		lease.start();
		if (!lease.isHeld()) {
			// released (or lost) before it was registered, by a listener of its ACQUIRED event: forget it again
			unregister(lease);
		}
	}

	/** Forgets a lease that is no longer held (idempotent). */
	void unregister(HeldLease lease) {
		boolean[] removed = new boolean[1];
		this.heldByKey.computeIfPresent(lease.ref.key(), (k, handles) -> {
			if (handles.length == 1) {
				removed[0] = handles[0] == lease;
				return removed[0] ? null : handles;
			}
			List<HeldLease> rest = new ArrayList<>(handles.length);
			for (HeldLease each : handles) {
				if (each != lease) {
					rest.add(each);
				}
			}
			removed[0] = rest.size() < handles.length;
			return rest.toArray(new HeldLease[0]);
		});
		if (removed[0]) {
			this.active.decrementAndGet();
		}
	}

	private void releaseQuietly(HeldLease lease) {
		try {
			lease.release();
		}
		catch (RuntimeException ex) {
			logger.warn("Could not release {}; it expires by its TTL", lease, ex);
		}
	}

	/**
	 * Releases one lease id on the backend, best effort: a failure is logged, not thrown, and the lease then
	 * expires by its TTL. Works on an interrupted thread and leaves the flag set.
	 */
	void releaseQuietly(LeaseRef ref) {
		boolean interrupted = Thread.interrupted();
		try {
			this.provider.release(ref);
		}
		catch (RuntimeException ex) {
			logger.warn("Could not release lease {} on '{}'; it expires by its TTL: {}", ref.leaseId(), ref.key(),
					ex.toString());
		}
		finally {
			if (interrupted) {
				Thread.currentThread().interrupt();
			}
		}
	}

	/**
	 * Records a lease that was lost ({@link HeldLease} decided so, once): statistics now; the
	 * {@code onLost} callbacks on the callback executor, never on the renewal thread; the LOST event there
	 * too, or on the caller's thread when the caller's own release or extend found the loss.
	 */
	void lost(HeldLease lease, long heldNanos, String reason, List<Runnable> callbacks, boolean foundByCaller) {
		unregister(lease);
		this.statistics.lost.increment();
		this.statistics.holdNanos.add(heldNanos);
		logger.warn("Lock '{}' (fencing token {}) lost: {}", lease.key(), lease.fencingToken(), reason);
		LockEvent event = event(LockEvent.Type.LOST, lease, lease.key(), lease.name(), heldNanos, null);
		LockLostException loss = new LockLostException(lease.key(), "Lock '" + KeyText.forMessage(lease.key())
				+ "' (fencing token " + lease.fencingToken() + ") was lost: " + reason);
		if (foundByCaller) {
			lease.endObservation(loss);
			deliver(event);
		}
		runLater(() -> {
			if (!foundByCaller) {
				execute(this.callbackExecutor, () -> {
					lease.endObservation(loss);
					deliver(event);
				});
			}
			List<Runnable> signals = callbacks.stream().filter(LostSignal.class::isInstance).toList();
			if (!signals.isEmpty()) {
				execute(this.lostSignalExecutor, () -> signals.forEach(LockEngine::runCallback));
			}
			List<Runnable> userCallbacks = callbacks.stream().filter((callback) -> !(callback instanceof LostSignal))
				.toList();
			if (!userCallbacks.isEmpty()) {
				execute(this.lostCallbackExecutor, () -> userCallbacks.forEach(LockEngine::runCallback));
			}
		});
	}

	/**
	 * Registers Locksmith's own reaction to the loss of {@code handle}'s lease (interrupting the method that
	 * holds it, failing the future that waits for it): like {@link LockHandle#onLost}, but run on a thread
	 * that runs no user callbacks, so that {@code onLost} callbacks that block (however many) never delay it.
	 * The signal must be short and must not block. A handle not made by this engine gets a plain
	 * {@code onLost} callback.
	 * @param handle the handle whose loss to signal
	 * @param signal the reaction, short and non-blocking
	 */
	public static void onLostSignal(LockHandle handle, Runnable signal) {
		Objects.requireNonNull(signal, "signal must not be null");
		handle.onLost((handle instanceof HeldLease) ? new LostSignal(signal) : signal);
	}

	/** A loss signal ({@link #onLostSignal}): kept apart from user callbacks when the lease is lost. */
	private record LostSignal(Runnable signal) implements Runnable {

		@Override
		public void run() {
			this.signal.run();
		}

	}

	/** Fires an event raised by the renewal machinery on the callback executor. */
	void fireLater(LockEvent.Type type, HeldLease lease, long nanos, @Nullable Throwable error) {
		if (this.listeners.isEmpty()) {
			return;
		}
		LockEvent event = event(type, lease, lease.key(), lease.name(), nanos, error);
		runLater(() -> execute(this.callbackExecutor, () -> deliver(event)));
	}

	/**
	 * Runs {@code dispatch} (which hands work to an executor) now, or at the end of the current renewal run
	 * if the calling thread is running one.
	 */
	private void runLater(Runnable dispatch) {
		if (!this.renewer.deferIfRunning(dispatch)) {
			dispatch.run();
		}
	}

	/**
	 * A pool of at most {@code threads} threads, made by {@code factory} and named {@code name}; idle threads
	 * end after 30 s. Its queue holds the work of leases already lost or events already raised, so it is
	 * bounded by the number of leases and events, not by a thread per task.
	 */
	private static ExecutorService ownedPool(int threads, ThreadFactory factory, String name) {
		AtomicInteger count = new AtomicInteger();
		ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
				new LinkedBlockingQueue<>(), (runnable) -> {
					Thread thread = factory.newThread(runnable);
					thread.setName(name + "-" + count.incrementAndGet());
					return thread;
				});
		pool.allowCoreThreadTimeOut(true);
		return pool;
	}

	private static Thread daemonThread(Runnable runnable) {
		Thread thread = new Thread(runnable);
		thread.setDaemon(true);
		return thread;
	}

	private static void execute(Executor executor, Runnable task) {
		try {
			executor.execute(task);
		}
		catch (RejectedExecutionException ex) {
			// the executor was shut down (the engine is closing): run here rather than drop it
			task.run();
		}
	}

	/**
	 * Runs one {@code onLost} callback; whatever it throws (an AssertionError, a LinkageError...) is logged
	 * and stops neither the lease's other callbacks nor other leases' announcements (see
	 * {@link #rethrowIfFatal}).
	 */
	static void runCallback(Runnable callback) {
		try {
			callback.run();
		}
		catch (RuntimeException | Error ex) {
			rethrowIfFatal(ex);
			logger.warn("onLost callback failed", ex);
		}
	}

	/** Rethrows the errors that user code's failures must not hide: fatal JVM errors other than a stack overflow. */
	static void rethrowIfFatal(Throwable ex) {
		if (ex instanceof VirtualMachineError fatal && !(ex instanceof StackOverflowError)) {
			throw fatal;
		}
	}

	private void leaseLostByProvider(LeaseRef ref) {
		HeldLease[] handles = this.heldByKey.get(ref.key());
		if (handles == null) {
			return;
		}
		for (HeldLease handle : handles) {
			if (handle.ref.equals(ref)) {
				handle.lostByBackend();
			}
		}
	}

	/** Fires an event on the calling thread (for events a caller's own call raised). */
	void fire(LockEvent.Type type, HeldLease lease, long nanos, @Nullable Throwable error) {
		fire(type, lease, lease.key(), lease.name(), nanos, error);
	}

	private void fire(LockEvent.Type type, @Nullable LockHandle handle, String key, String name, long nanos,
			@Nullable Throwable error) {
		if (this.listeners.isEmpty()) {
			return;
		}
		deliver(event(type, handle, key, name, nanos, error));
	}

	private LockEvent event(LockEvent.Type type, @Nullable LockHandle handle, String key, String name, long nanos,
			@Nullable Throwable error) {
		return new LockEvent(type, key, name, this.provider.name(), Duration.ofNanos(Math.max(0, nanos)), handle,
				error);
	}

	private void deliver(LockEvent event) {
		for (LockListener listener : this.listeners) {
			try {
				listener.onEvent(event);
			}
			catch (RuntimeException | Error ex) {
				rethrowIfFatal(ex);
				logger.warn("Lock listener {} failed on {}", listener, event.type(), ex);
			}
		}
	}

	// ---------------------------------------------------------------- helpers

	static String requireKey(String method, @Nullable String key) {
		if (key == null || key.isBlank()) {
			throw new IllegalArgumentException("MutexService." + method + ": key must not be null or blank, was "
					+ (key == null ? "null" : "'" + KeyText.forMessage(key) + "'"));
		}
		return key;
	}

	private static String requireText(@Nullable String value, String what) {
		if (value == null || value.isBlank()) {
			throw new IllegalArgumentException(what + " must not be null or blank");
		}
		return value;
	}

	private static long saturatedNanos(Duration duration) {
		try {
			return duration.toNanos();
		}
		catch (ArithmeticException ex) {
			return duration.isNegative() ? 0 : Long.MAX_VALUE;
		}
	}

	private static long saturatedAdd(long a, long b) {
		long sum = a + b;
		return (((a ^ sum) & (b ^ sum)) < 0) ? Long.MAX_VALUE : sum;
	}

	private static byte[] randomBytes(int count) {
		byte[] bytes = new byte[count];
		RANDOM.nextBytes(bytes);
		return bytes;
	}

	/**
	 * Returns a generated owner id: the host name (from {@code HOSTNAME}, else {@code host}), the process id
	 * and a random suffix, so that two services in one process are two owners.
	 * @return a fresh owner id
	 */
	public static String generateOwnerId() {
		String host = System.getenv("HOSTNAME");
		if (host == null || host.isBlank()) {
			host = "host";
		}
		return host + "-" + ProcessHandle.current().pid() + "-" + HexFormat.of().formatHex(randomBytes(3));
	}

}
