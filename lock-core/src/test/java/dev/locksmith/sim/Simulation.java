package dev.locksmith.sim;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.locksmith.Backoff;
import dev.locksmith.LeaseInfo;
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
 * A deterministic simulation: several clients (engines with distinct owner ids, each with its own
 * drifting clock and its own connection) on one simulated backend, driven by a list of {@link Op}s on one
 * thread. Nothing runs by itself: the engines are built with {@code backgroundRenewal(false)} and
 * {@code callbackExecutor(Runnable::run)}; time passes only through call latency, {@link Op.Advance} and
 * {@link Op.Outage} (in ticks of {@link #TICK_NANOS}, after each of which every engine runs its due
 * renewals, as its scheduler thread would) and a waiter's sleep ({@link #sleep}). {@link LeaseInvariants}
 * runs after every operation and every tick. The same seed and operations give the same run.
 */
public final class Simulation implements WorldView, SimNetwork {

	/** The renewal scheduler's time step. */
	static final long TICK_NANOS = 5_000_000L;

	/** The largest one-way latency of a call. */
	static final long MAX_LATENCY_NANOS = 20_000_000L;

	/** A waiter is interrupted after waiting this long in one operation (a wait may be FOREVER). */
	static final long WAITER_INTERRUPT_NANOS = 120_000_000_000L;

	/** The number of clients. */
	public static final int CLIENTS = 3;

	private static final Duration HUGE = Duration.ofDays(1_000_000);

	/** The outcome of a run. */
	public record Result(LeaseInvariants.Violation violation, int failedAt, long steps, Map<String, Long> coverage) {

		/** @return whether an invariant broke */
		public boolean failed() {
			return this.violation != null;
		}

	}

	/** Thrown through the engine to stop a run at once when a tick found a violation. */
	private static final class Abort extends Error {

		private static final long serialVersionUID = 1L;

		Abort() {
			super("simulation stopped: invariant broken", null, false, false);
		}

	}

	private final SimTime time = new SimTime();

	private final SimBackend backend = new SimBackend(this.time);

	private final SplittableRandom latency;

	private final List<Client> clients = new ArrayList<>();

	private final LeaseInvariants checker = new LeaseInvariants(this);

	private final Map<String, Long> coverage = new LinkedHashMap<>();

	private final List<String> keys = new ArrayList<>();

	private long opIndex = -1;

	private int inCall = -1;

	private long outageUntil = Long.MIN_VALUE;

	private Waiter waiter;

	private long lastTickAt = this.time.nanoTime();

	/** Gaps between scheduler runs longer than a tick: start → length. */
	private final java.util.TreeMap<Long, Long> tickGaps = new java.util.TreeMap<>();

	private LeaseInvariants.Violation violation;

	/** The waiting acquisition in progress. */
	private static final class Waiter {

		final int client;

		final String key;

		final LeaseType type;

		final int permits;

		final int limit;

		final long start;

		long firstFree = Long.MIN_VALUE;

		long slept;

		/**
		 * Master time by which the simulation's own ticks held this waiter past the end of a sleep after the
		 * key became free: the renewal calls of every client run inside a tick on the one simulated timeline,
		 * so the waiter's next attempt starts only after their latency, where real clients would renew in
		 * parallel on their own renewal threads. The engine cannot cause or avoid it (invariant 6 adds it).
		 */
		long tickOverrun;

		Waiter(int client, String key, LeaseType type, int permits, int limit, long start) {
			this.client = client;
			this.key = key;
			this.type = type;
			this.permits = permits;
			this.limit = limit;
			this.start = start;
		}

	}

	/** One client: an engine on its own clock and connection. */
	public final class Client implements WorldView.ClientView {

		final int index;

		final DriftingClock clock;

		final SimProvider provider;

		final LockEngine engine;

		final List<LockEvent> events = new CopyOnWriteArrayList<>();

		final List<TrackedHandle> handles = new ArrayList<>();

		final List<TrackedDetached> detached = new ArrayList<>();

		boolean closed;

		long released;

		long detachedAcquired;

		Client(int index, long ppm, long localStart) {
			this.index = index;
			this.clock = new DriftingClock(Simulation.this.time, ppm, localStart);
			this.provider = new SimProvider(Simulation.this, index);
			this.engine = Locksmith.builder(this.provider)
				.ownerId("client-" + index)
				.clock(this.clock)
				.backgroundRenewal(false)
				.callbackExecutor(Runnable::run)
				.listener(this.events::add)
				.defaults(LockOptions.defaults()
					.withBackoff(Backoff.of(Duration.ofMillis(1), Duration.ofMillis(1), 1.0, 0.0, 0)))
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
			return this.detached;
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

		@Override
		public long releasedCount() {
			return this.released;
		}

	}

	/**
	 * Creates a world for one seed: the seed decides each client's drift and clock offset and every call's
	 * latency.
	 * @param seed the seed
	 */
	public Simulation(long seed) {
		SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
		this.latency = random.split();
		for (int i = 0; i < CLIENTS; i++) {
			long ppm = -9_000 + random.nextInt(19_001);
			this.clients.add(new Client(i, ppm, random.nextLong(1L << 40)));
		}
		for (String key : new String[] { "a", "b", "c" }) {
			this.keys.add(key);
			this.keys.add("s" + key);
		}
	}

	/**
	 * Runs operations until one breaks an invariant.
	 * @param ops the operations
	 * @return the result
	 */
	public Result run(List<Op> ops) {
		int i = 0;
		try {
			for (; i < ops.size() && this.violation == null; i++) {
				this.opIndex = i;
				Op op = ops.get(i);
				count(op.getClass().getSimpleName() + ((op instanceof Op.Acquire a) ? "." + a.mode() : ""));
				try {
					execute(op);
				}
				catch (Abort abort) {
					break;
				}
				catch (RuntimeException | AssertionError ex) {
					fail(new LeaseInvariants.Violation(0, "unexpected " + ex + " from " + op + stack(ex)));
					break;
				}
				finally {
					this.inCall = -1;
					this.waiter = null;
					Thread.interrupted();
				}
				if (this.violation == null) {
					fail(this.checker.check("#" + i + " " + op));
				}
			}
		}
		finally {
			for (Client client : this.clients) {
				if (!client.closed) {
					try {
						client.engine.close();
					}
					catch (RuntimeException | Abort ex) {
						// the run is over
					}
				}
			}
		}
		return new Result(this.violation, (this.violation != null) ? i : -1, this.checker.steps(), this.coverage);
	}

	private static String stack(Throwable ex) {
		for (StackTraceElement frame : ex.getStackTrace()) {
			if (frame.getClassName().startsWith("dev.locksmith.")) {
				return " at " + frame;
			}
		}
		return "";
	}

	private void fail(LeaseInvariants.Violation found) {
		if (found != null && this.violation == null) {
			this.violation = found;
		}
	}

	private void count(String what) {
		this.coverage.merge(what, 1L, Long::sum);
	}

	private void execute(Op op) {
		if (op.client() >= 0 && this.clients.get(op.client()).closed) {
			return;
		}
		if (op instanceof Op.Acquire a) {
			acquire(a);
		}
		else if (op instanceof Op.Release r) {
			release(r);
		}
		else if (op instanceof Op.Extend e) {
			extend(e);
		}
		else if (op instanceof Op.Advance a) {
			advance(a.ms() * 1_000_000L);
		}
		else if (op instanceof Op.AcquireDetached d) {
			acquireDetached(d);
		}
		else if (op instanceof Op.ReleaseDetached d) {
			releaseDetached(d);
		}
		else if (op instanceof Op.Close c) {
			close(this.clients.get(c.client()));
		}
		else if (op instanceof Op.FailNext f) {
			this.clients.get(f.client()).provider.failNext(f.count());
		}
		else if (op instanceof Op.LoseReplyNext l) {
			this.clients.get(l.client()).provider.loseReplyNext(l.count());
		}
		else if (op instanceof Op.Outage o) {
			this.outageUntil = this.time.nanoTime() + o.ms() * 1_000_000L;
			advance(o.ms() * 1_000_000L);
		}
		else if (op instanceof Op.Restart) {
			this.backend.restart();
		}
	}

	private LockOptions options(long ttlMs, boolean autoExtend, long waitMs, long minHoldMs, long renewalPeriodMs,
			long renewalTimeoutMs) {
		LockOptions options = LockOptions.defaults().withAutoExtend(autoExtend);
		if (ttlMs != 0) {
			options = options.withTtl((ttlMs < 0) ? HUGE : Duration.ofMillis(ttlMs));
		}
		if (renewalPeriodMs > 0) {
			options = options.withRenewalPeriod(Duration.ofMillis(renewalPeriodMs));
		}
		if (renewalTimeoutMs > 0) {
			options = options.withRenewalTimeout(Duration.ofMillis(renewalTimeoutMs));
		}
		options = options.withWaitTime((waitMs < 0) ? ChronoUnit.FOREVER.getDuration() : Duration.ofMillis(waitMs));
		if (minHoldMs != 0) {
			options = options.withMinHold((minHoldMs < 0) ? HUGE : Duration.ofMillis(minHoldMs));
		}
		return options;
	}

	private void acquire(Op.Acquire a) {
		Client c = this.clients.get(a.client());
		boolean permits = a.mode() == Op.Mode.PERMIT;
		String key = permits ? "s" + a.key() : a.key();
		LeaseType type = switch (a.mode()) {
			case READ -> LeaseType.READ;
			case PERMIT -> LeaseType.PERMITS;
			default -> LeaseType.WRITE;
		};
		long start = this.time.nanoTime();
		long faultsBefore = c.provider.faults();
		Waiter w = new Waiter(c.index, key, type, 1, permits ? 2 : 1, start);
		LockHandle handle = null;
		try {
			LockOptions options = options(a.ttlMs(), a.autoExtend(), a.waitMs(), a.minHoldMs(), a.renewalPeriodMs(),
					a.renewalTimeoutMs());
			this.waiter = w;
			this.inCall = c.index;
			handle = switch (a.mode()) {
				case TRY -> c.engine.tryAcquire(key, options).orElse(null);
				case BLOCK -> c.engine.acquire(key, options);
				case READ -> c.engine.readWrite(key).tryRead(options).orElse(null);
				case RW_WRITE -> c.engine.readWrite(key).tryWrite(options).orElse(null);
				case PERMIT -> c.engine.semaphore(key, 2).tryAcquire(1, options).orElse(null);
			};
		}
		catch (LockNotAcquiredException | LockProviderUnavailableException ex) {
			count("acquire threw " + ex.getClass().getSimpleName());
		}
		catch (IllegalArgumentException ex) {
			count("acquire rejected " + ex.getClass().getSimpleName());
		}
		finally {
			this.inCall = -1;
			this.waiter = null;
			Thread.interrupted();
		}
		long acquiredAt = Long.MIN_VALUE;
		if (handle != null) {
			count("acquired " + type);
			SimBackend.GrantRecord grant = this.backend.grantOf(handle.leaseId());
			acquiredAt = (grant != null) ? grant.grantedAtMaster() : start;
			Duration ttl = (a.ttlMs() == 0) ? Duration.ofSeconds(Locksmith.DEFAULT_TTL_SECONDS)
					: (a.ttlMs() < 0) ? HUGE : Duration.ofMillis(a.ttlMs());
			TrackedHandle tracked = new TrackedHandle(c.index, handle, key, a.autoExtend(), ttl, acquiredAt,
					(grant != null) ? grant.epoch() : this.backend.epoch(), faultsBefore);
			if (c.provider.faults() != faultsBefore || a.renewalTimeoutMs() > 0) {
				// acquired through a failure, or a renewal timeout may give up slow but successful renewals:
				// not held to invariant 3
				tracked.faultsAtAcquire = -1;
			}
			tracked.renewalPeriodNanos = a.renewalPeriodMs() * 1_000_000L;
			tracked.minHoldNanos = (a.minHoldMs() < 0) ? Long.MAX_VALUE / 4 : a.minHoldMs() * 1_000_000L;
			handle.onLost(() -> {
				tracked.lostAtMaster = this.time.nanoTime();
				tracked.lostFired.incrementAndGet();
			});
			c.handles.add(tracked);
		}
		fail(this.checker.checkWaiter("client " + c.index + " " + a, key, start, w.firstFree, w.tickOverrun, acquiredAt,
				this.time.nanoTime()));
	}

	private TrackedHandle pick(int client, int index) {
		List<TrackedHandle> handles = this.clients.get(client).handles;
		return handles.isEmpty() ? null : handles.get(index % handles.size());
	}

	private void release(Op.Release r) {
		TrackedHandle t = pick(r.client(), r.handle());
		if (t == null) {
			return;
		}
		Client c = this.clients.get(r.client());
		ReleaseOutcome outcome;
		// a handle whose release threw stays invalid and unregistered; a further release() retries on the backend
		boolean retry = t.releaseThrew;
		this.inCall = c.index;
		try {
			outcome = t.handle.release();
		}
		catch (LockProviderUnavailableException ex) {
			count(retry ? "release retry threw" : "release threw");
			t.releaseThrew = true;
			return;
		}
		finally {
			this.inCall = -1;
		}
		count((retry ? "release retry " : "release ") + outcome);
		if (outcome == ReleaseOutcome.RELEASED) {
			if (t.outcome == ReleaseOutcome.RELEASED) {
				fail(new LeaseInvariants.Violation(7, t + ": release() returned RELEASED twice"));
			}
			c.released++;
			t.outcome = outcome;
			t.releasedAtMaster = this.time.nanoTime();
		}
		else if (outcome == ReleaseOutcome.LOST && t.outcome == null) {
			t.outcome = outcome;
		}
	}

	private void extend(Op.Extend e) {
		TrackedHandle t = pick(e.client(), e.handle());
		if (t == null) {
			return;
		}
		this.inCall = e.client();
		try {
			t.handle.extend(Duration.ofMillis(e.ttlMs()));
			t.ttl = Duration.ofMillis(e.ttlMs());
			count("extend ok");
		}
		catch (LockNotHeldException | LockProviderUnavailableException ex) {
			count("extend threw " + ex.getClass().getSimpleName());
		}
		finally {
			this.inCall = -1;
		}
	}

	private void acquireDetached(Op.AcquireDetached d) {
		Client c = this.clients.get(d.client());
		this.inCall = c.index;
		try {
			Optional<LeaseInfo> lease = c.engine.acquireDetached(d.key(),
					LockOptions.ttl(Duration.ofMillis(d.ttlMs())).withWaitTime(Duration.ZERO));
			if (lease.isPresent()) {
				c.detached.add(new TrackedDetached(c.index, d.key(), lease.get().leaseId(), lease.get().fencingToken()));
				c.detachedAcquired++;
				count("detached acquired");
			}
		}
		catch (LockNotAcquiredException | LockProviderUnavailableException ex) {
			count("detached threw");
		}
		finally {
			this.inCall = -1;
		}
	}

	private void releaseDetached(Op.ReleaseDetached d) {
		Client c = this.clients.get(d.client());
		if (c.detached.isEmpty()) {
			return;
		}
		TrackedDetached lease = c.detached.remove(d.index() % c.detached.size());
		this.inCall = c.index;
		try {
			c.engine.releaseLease(lease.key(), lease.leaseId());
			count("detached released");
		}
		catch (LockProviderUnavailableException ex) {
			count("detached release threw");
		}
		finally {
			this.inCall = -1;
		}
	}

	private void close(Client c) {
		int mark = c.provider.calls().size();
		List<TrackedHandle> live = c.handles.stream().filter(TrackedHandle::live).toList();
		this.inCall = c.index;
		try {
			c.engine.close();
		}
		finally {
			this.inCall = -1;
			c.closed = true;
		}
		List<SimProvider.Call> calls = c.provider.calls().subList(mark, c.provider.calls().size());
		for (TrackedHandle t : live) {
			if (t.lostFired.get() > 0) {
				continue;
			}
			t.closedByEngine = true;
			SimProvider.Result last = null;
			for (SimProvider.Call call : calls) {
				if (call.leaseId().equals(t.handle.leaseId())) {
					last = call.result();
				}
			}
			if (last == SimProvider.Result.TRUE) {
				c.released++;
				t.outcome = ReleaseOutcome.RELEASED;
				t.releasedAtMaster = this.time.nanoTime();
				t.closedByEngine = false;
			}
		}
		count("close");
	}

	private void advance(long nanos) {
		long end = this.time.nanoTime() + nanos;
		while (this.time.nanoTime() < end && this.violation == null) {
			tick(Math.min(TICK_NANOS, end - this.time.nanoTime()));
		}
	}

	private void tick(long nanos) {
		this.time.advance(nanos);
		long now = this.time.nanoTime();
		if (now - this.lastTickAt > TICK_NANOS) {
			this.tickGaps.put(this.lastTickAt, now - this.lastTickAt);
		}
		this.lastTickAt = now;
		count("tick");
		for (Client client : this.clients) {
			if (client.closed) {
				continue;
			}
			try {
				client.engine.runDueRenewals();
			}
			catch (RuntimeException ex) {
				fail(new LeaseInvariants.Violation(0, "runDueRenewals of client " + client.index + " threw " + ex + stack(ex)));
			}
		}
		if (this.violation == null) {
			fail(this.checker.check("tick"));
		}
		if (this.violation != null) {
			throw new Abort();
		}
	}

	/**
	 * A waiter's sleep on a release subscription: master time passes in ticks (every engine runs its due
	 * renewals) until the local timeout passes or a release is signalled. Records when the key was first
	 * free for the waiter (invariant 6). A waiter that has slept two simulated minutes in one operation is
	 * interrupted.
	 * @param client the waiting client
	 * @param key the key
	 * @param type what it waits for
	 * @param localNanos the timeout on the client's clock
	 * @param signals the backend's subscription
	 * @return true if a release was signalled
	 * @throws InterruptedException when the waiter is interrupted
	 */
	@Override
	public boolean sleep(int client, String key, LeaseType type, long localNanos, ReleaseSubscription signals,
			long releasesAtSubscribe) throws InterruptedException {
		count("sleep");
		long end = this.time.nanoTime() + this.clients.get(client).clock.toMasterDuration(Math.max(0, localNanos));
		Waiter w = this.waiter;
		long overrun = 0; // of the last tick: the time its renewal calls took beyond its step
		while (this.time.nanoTime() < end) {
			if (w != null && w.slept > WAITER_INTERRUPT_NANOS) {
				count("waiter interrupted");
				throw new InterruptedException("sim: waiter interrupted after two minutes");
			}
			long step = Math.min(TICK_NANOS, end - this.time.nanoTime());
			long before = this.time.nanoTime();
			tick(step);
			overrun = this.time.nanoTime() - before - step;
			if (w != null) {
				w.slept += step;
				if (w.firstFree == Long.MIN_VALUE && isFreeFor(w)) {
					w.firstFree = this.time.nanoTime();
				}
			}
			if (signals.await(0)) {
				addTickOverrun(w, overrun);
				return true;
			}
		}
		addTickOverrun(w, overrun);
		return false;
	}

	/** A sleep ends after its last tick: what that tick's calls took beyond its step delayed the waiter. */
	private static void addTickOverrun(Waiter w, long overrun) {
		if (w != null && w.firstFree != Long.MIN_VALUE && overrun > 0) {
			w.tickOverrun += overrun;
		}
	}

	private boolean isFreeFor(Waiter w) {
		int permitsInUse = 0;
		for (BackendLease lease : this.backend.leases(w.key)) {
			SimBackend.GrantRecord grant = this.backend.grantOf(lease.leaseId());
			if (grant != null && grant.client() == w.client && grant.opIndex() == this.opIndex
					&& !ownedByLiveHandle(lease.leaseId())) {
				continue; // the waiter's own unowned attempt in this operation
			}
			boolean conflicts = switch (w.type) {
				case WRITE -> true;
				case READ -> lease.type() != LeaseType.READ;
				case PERMITS -> lease.type() != LeaseType.PERMITS;
			};
			if (conflicts) {
				return false;
			}
			if (lease.type() == LeaseType.PERMITS) {
				permitsInUse += lease.permits();
			}
		}
		return w.type != LeaseType.PERMITS || permitsInUse + w.permits <= w.limit;
	}

	private boolean ownedByLiveHandle(String leaseId) {
		for (Client client : this.clients) {
			for (TrackedHandle h : client.handles) {
				if (h.live() && h.handle.leaseId().equals(leaseId)) {
					return true;
				}
			}
		}
		return false;
	}

	// ---------------------------------------------------------------- for SimProvider and the checker

	@Override
	public SimTime time() {
		return this.time;
	}

	@Override
	public long opIndex() {
		return this.opIndex;
	}

	@Override
	public boolean inOutage() {
		return this.time.nanoTime() < this.outageUntil;
	}

	@Override
	public long releases(String key) {
		return 0;
	}

	@Override
	public void released(String key) {
	}

	@Override
	public long latencyNanos() {
		return (this.latency.nextInt(10) < 3) ? 0 : this.latency.nextLong(MAX_LATENCY_NANOS + 1);
	}

	@Override
	public long lastTickAt() {
		return this.lastTickAt;
	}

	@Override
	public long longestTickGapSince(long masterNanos) {
		long longest = Math.min(TICK_NANOS, this.time.nanoTime() - masterNanos);
		for (Map.Entry<Long, Long> gap : this.tickGaps.entrySet()) {
			if (gap.getKey() + gap.getValue() > masterNanos) {
				longest = Math.max(longest, gap.getValue());
			}
		}
		return Math.max(longest, this.time.nanoTime() - Math.max(this.lastTickAt, masterNanos));
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
		return this.inCall;
	}

	@Override
	public long tickNanos() {
		return TICK_NANOS;
	}

	@Override
	public long maxLatencyNanos() {
		return MAX_LATENCY_NANOS;
	}

	/**
	 * Formats a master time in ms since the simulation started.
	 * @param masterNanos master nanos, or MIN_VALUE
	 * @return the text
	 */
	static String ms(long masterNanos) {
		if (masterNanos == Long.MIN_VALUE) {
			return "never";
		}
		return String.format("%.3f ms", (masterNanos - 1_000_000_000L) / 1e6);
	}

	/**
	 * Returns how many times each kind of operation, outcome and fault occurred (for coverage reports).
	 * @return the counts
	 */
	public Map<String, Long> coverage() {
		return this.coverage;
	}

	static Map<String, Long> merge(Map<String, Long> into, Map<String, Long> from) {
		from.forEach((k, v) -> into.merge(k, v, Long::sum));
		return into;
	}


}
