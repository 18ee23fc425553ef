package dev.locksmith.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import dev.locksmith.LeaseType;
import dev.locksmith.LockEvent;
import dev.locksmith.LockHandle;
import dev.locksmith.LockNotAcquiredException;
import dev.locksmith.LockNotHeldException;
import dev.locksmith.LockOptions;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.Locksmith;
import dev.locksmith.ReleaseOutcome;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.spi.ReleaseSubscription;

/**
 * The world of the controlled-concurrency tests: clients (engines with distinct owner ids) on one
 * {@link SimBackend}, driven by real threads whose interleaving the test tool chooses. Time is master time
 * ({@link SimTime}, an atomic) moved only by {@link #tick}, which also runs every engine's due renewals (the
 * "renewal thread"); calls take no latency. A waiter really waits on the backend's release signals, with a
 * real timeout; a first wait that times out although a release was applied after the subscription was taken
 * is a waiter that slept through a release (invariant 6). {@link LeaseInvariants} checks the state: fully at
 * the end ({@link #checkAll}), and invariants 1 and 2 after every tick, concurrently with the other threads
 * (they must hold at every instant).
 */
public final class ThreadedWorld implements WorldView, SimNetwork {

	private final SimTime time = new SimTime();

	private final SimBackend backend = new SimBackend(this.time);

	private final List<Client> clients = new ArrayList<>();

	private final List<String> keys = new CopyOnWriteArrayList<>();

	private final ConcurrentHashMap<String, AtomicLong> releases = new ConcurrentHashMap<>();

	private final List<String> violations = new CopyOnWriteArrayList<>();

	private final LeaseInvariants checker = new LeaseInvariants(this);

	private volatile long lastTickAt = this.time.nanoTime();

	private volatile long longestTick;

	/** One client. */
	final class Client implements WorldView.ClientView {

		final int index;

		final DriftingClock clock = new DriftingClock(ThreadedWorld.this.time, 0, 0);

		final SimProvider provider;

		final LockEngine engine;

		final List<LockEvent> events = new CopyOnWriteArrayList<>();

		final List<TrackedHandle> handles = new CopyOnWriteArrayList<>();

		volatile boolean closed;

		Client(int index) {
			this.index = index;
			this.provider = new SimProvider(ThreadedWorld.this, index);
			this.engine = Locksmith.builder(this.provider)
				.ownerId("client-" + index)
				.clock(this.clock)
				.backgroundRenewal(false)
				.callbackExecutor(Runnable::run)
				.listener(this.events::add)
				.build();
		}

		@Override
		public int index() {
			return this.index;
		}

		@Override
		public LockEngine engine() {
			return this.engine;
		}

		@Override
		public DriftingClock clock() {
			return this.clock;
		}

		@Override
		public List<TrackedHandle> handles() {
			return this.handles;
		}

		@Override
		public List<TrackedDetached> detached() {
			return List.of();
		}

		@Override
		public List<LockEvent> events() {
			return this.events;
		}

		@Override
		public SimProvider provider() {
			return this.provider;
		}

		@Override
		public boolean closed() {
			return this.closed;
		}

		/** Leases this client's release (or minimum-hold extend) calls removed, except those declared lost. */
		@Override
		public long releasedCount() {
			Set<String> released = new HashSet<>();
			Set<String> lost = new HashSet<>();
			for (TrackedHandle h : this.handles) {
				if (h.lostFired.get() > 0) {
					lost.add(h.handle.leaseId());
				}
			}
			synchronized (this.provider.calls()) {
				for (SimProvider.Call call : this.provider.calls()) {
					if (call.method().equals("release") && call.result() == SimProvider.Result.TRUE
							&& !lost.contains(call.leaseId())) {
						released.add(call.leaseId());
					}
				}
			}
			return released.size();
		}

	}

	/**
	 * Creates a world.
	 * @param clients how many clients
	 * @param keys the keys the checker inspects
	 */
	public ThreadedWorld(int clients, String... keys) {
		for (int i = 0; i < clients; i++) {
			this.clients.add(new Client(i));
		}
		this.keys.addAll(List.of(keys));
	}

	/**
	 * Acquires (waiting up to the options' wait time) and tracks the handle; returns null if not acquired.
	 * @param client the client
	 * @param key the key
	 * @param options the options (TTL, auto-extend and wait time must be set)
	 * @return the tracked handle, or null
	 */
	public TrackedHandle acquire(int client, String key, LockOptions options) {
		Client c = this.clients.get(client);
		long faults = c.provider.faults();
		Optional<LockHandle> handle;
		try {
			handle = c.engine.tryAcquire(key, options);
		}
		catch (LockNotAcquiredException | LockProviderUnavailableException | IllegalStateException ex) {
			return null;
		}
		if (handle.isEmpty()) {
			return null;
		}
		LockHandle h = handle.get();
		SimBackend.GrantRecord grant = this.backend.grantOf(h.leaseId());
		TrackedHandle tracked = new TrackedHandle(client, h, key, Boolean.TRUE.equals(options.autoExtend()),
				options.ttl(), grant.grantedAtMaster(), grant.epoch(), faults);
		h.onLost(() -> {
			tracked.lostAtMaster = this.time.nanoTime();
			tracked.lostFired.incrementAndGet();
		});
		c.handles.add(tracked);
		return tracked;
	}

	/**
	 * Releases a tracked handle and records the outcome.
	 * @param h the handle
	 * @return the outcome, or null if release threw
	 */
	public ReleaseOutcome release(TrackedHandle h) {
		try {
			ReleaseOutcome outcome = h.handle.release();
			synchronized (h) {
				if (outcome == ReleaseOutcome.RELEASED || (outcome == ReleaseOutcome.LOST && h.outcome == null)) {
					h.outcome = outcome;
					h.releasedAtMaster = this.time.nanoTime();
				}
			}
			return outcome;
		}
		catch (LockProviderUnavailableException ex) {
			h.releaseThrew = true;
			return null;
		}
	}

	/**
	 * Extends a tracked handle; returns whether it worked.
	 * @param h the handle
	 * @param ttl the new TTL
	 * @return true if extended
	 */
	public boolean extend(TrackedHandle h, Duration ttl) {
		try {
			h.handle.extend(ttl);
			h.ttl = ttl;
			return true;
		}
		catch (LockNotHeldException | LockProviderUnavailableException ex) {
			return false;
		}
	}

	/**
	 * Closes a client's engine; its handles not released before are then closed by the engine.
	 * @param client the client
	 */
	public void close(int client) {
		Client c = this.clients.get(client);
		c.engine.close();
		c.closed = true;
	}

	/**
	 * The renewal thread's step: moves time, runs every open engine's due renewals, checks invariants 1 and 2.
	 * @param nanos how far
	 */
	public void tick(long nanos) {
		this.time.advance(nanos);
		this.longestTick = Math.max(this.longestTick, nanos);
		for (Client c : this.clients) {
			if (!c.closed) {
				try {
					c.engine.runDueRenewals();
				}
				catch (RuntimeException ex) {
					this.violations.add("runDueRenewals of client " + c.index + " threw " + ex);
				}
			}
		}
		this.lastTickAt = this.time.nanoTime();
		record(this.checker.checkSafety("tick"));
	}

	/**
	 * Checks every invariant; call when all threads have finished.
	 * @param what a name for the message
	 */
	public void checkAll(String what) {
		for (Client c : this.clients) {
			if (c.closed) {
				for (TrackedHandle h : c.handles) {
					if (h.outcome == null && h.lostFired.get() == 0 && !h.releaseThrew) {
						h.closedByEngine = true;
					}
				}
			}
		}
		record(this.checker.check(what));
	}

	private void record(LeaseInvariants.Violation violation) {
		if (violation != null) {
			this.violations.add(violation.toString());
		}
	}

	/**
	 * Returns the violations found so far.
	 * @return the messages
	 */
	public List<String> violations() {
		return this.violations;
	}

	/**
	 * Returns the handles a client was given.
	 * @param client the client
	 * @return the handles
	 */
	public List<TrackedHandle> handles(int client) {
		return this.clients.get(client).handles;
	}

	// ---------------------------------------------------------------- SimNetwork

	@Override
	public SimTime time() {
		return this.time;
	}

	@Override
	public long opIndex() {
		return -1;
	}

	@Override
	public boolean inOutage() {
		return false;
	}

	@Override
	public long latencyNanos() {
		return 0;
	}

	@Override
	public boolean sleep(int client, String key, LeaseType type, long localNanos, ReleaseSubscription signals,
			long releasesBefore) throws InterruptedException {
		long applied = releases(key);
		boolean signalled = signals.await(localNanos);
		if (!signalled && applied > releasesBefore) {
			this.violations.add("invariant 6 broken: client " + client + " waiting for '" + key + "' (" + type
					+ ") timed out on its first wait although " + (applied - releasesBefore)
					+ " release(s) were applied after it subscribed: it slept through a release");
		}
		return signalled;
	}

	@Override
	public long releases(String key) {
		return this.releases.computeIfAbsent(key, (k) -> new AtomicLong()).get();
	}

	@Override
	public void released(String key) {
		this.releases.computeIfAbsent(key, (k) -> new AtomicLong()).incrementAndGet();
	}

	// ---------------------------------------------------------------- WorldView

	@Override
	public long lastTickAt() {
		return this.lastTickAt;
	}

	@Override
	public long longestTickGapSince(long masterNanos) {
		return this.longestTick;
	}

	@Override
	public long masterNow() {
		return this.time.nanoTime();
	}

	@Override
	public List<String> keys() {
		return this.keys;
	}

	@Override
	public SimBackend backend() {
		return this.backend;
	}

	@Override
	public List<Client> clients() {
		return this.clients;
	}

	@Override
	public int clientInCall() {
		return -1;
	}

	@Override
	public long tickNanos() {
		return 0;
	}

	@Override
	public long maxLatencyNanos() {
		return 0;
	}

}
