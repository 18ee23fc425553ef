package dev.locksmith.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.locksmith.LeaseType;
import dev.locksmith.LockHandle;
import dev.locksmith.LockLostException;
import dev.locksmith.LockNotHeldException;
import dev.locksmith.ReleaseOutcome;
import dev.locksmith.spi.LeaseRef;

/**
 * The engine's {@link LockHandle}: a state machine HELD → RELEASED, or HELD → LOST → LOST_CLOSED, with a
 * local deadline that only moves forward.
 */
final class EngineHandle implements LockHandle {

	private static final Logger logger = LoggerFactory.getLogger(EngineHandle.class);

	static final int HELD = 0;

	static final int RELEASED = 1;

	static final int LOST = 2;

	static final int LOST_CLOSED = 3;

	private final LockEngine engine;

	final LeaseRef ref;

	private final String key;

	private final String name;

	private final int permits;

	private final long fencingToken;

	private final Instant acquiredAt;

	final long acquiredNanos;

	private final Map<String, String> metadata;

	final Thread acquiringThread;

	final boolean autoExtend;

	final Duration minHold;

	final long sequence;

	private final AtomicInteger state = new AtomicInteger(HELD);

	private final AtomicLong deadlineNanos;

	private final AtomicLong renewalCount = new AtomicLong();

	private volatile Duration ttl;

	/** Renewal-queue ordering key; changed only while the handle is out of the queue. */
	volatile long dueNanos;

	/** Whether the backend may still hold the lease after it was declared lost (local deadline passed). */
	private volatile boolean mayStillExist;

	private List<Runnable> lostCallbacks = List.of();

	private boolean lostFired;

	EngineHandle(LockEngine engine, LeaseRef ref, String key, String name, int permits, long fencingToken,
			Instant acquiredAt, long acquiredNanos, long sentAtNanos, Duration ttl, Map<String, String> metadata,
			boolean autoExtend, Duration minHold, long sequence) {
		this.engine = engine;
		this.ref = ref;
		this.key = key;
		this.name = name;
		this.permits = permits;
		this.fencingToken = fencingToken;
		this.acquiredAt = acquiredAt;
		this.acquiredNanos = acquiredNanos;
		this.metadata = metadata;
		this.acquiringThread = Thread.currentThread();
		this.autoExtend = autoExtend;
		this.minHold = minHold;
		this.sequence = sequence;
		this.ttl = ttl;
		this.deadlineNanos = new AtomicLong(sentAtNanos + validityNanos(ttl));
	}

	/**
	 * Returns how long a lease of {@code ttl} is certainly valid after its request was sent: the TTL
	 * minus a clock-drift allowance of 1% plus 2 ms (as in Redlock), never less than half the TTL.
	 */
	static long validityNanos(Duration ttl) {
		long nanos = ttl.toNanos();
		long drift = nanos / 100 + 2_000_000L;
		return Math.max(nanos - drift, nanos / 2);
	}

	Duration ttl() {
		return this.ttl;
	}

	long renewIntervalNanos() {
		return Math.max(1_000_000L, this.ttl.toNanos() / 3);
	}

	long deadlineNanos() {
		return this.deadlineNanos.get();
	}

	boolean isHeld() {
		return this.state.get() == HELD;
	}

	boolean mayStillExist() {
		return this.mayStillExist;
	}

	/**
	 * Records a successful automatic renewal whose request was sent at {@code sentAtNanos}. Renewals keep
	 * the TTL, so the later-sent one gives the later deadline: the deadline only moves forward.
	 */
	void renewed(long sentAtNanos) {
		this.deadlineNanos.accumulateAndGet(sentAtNanos + validityNanos(this.ttl), Math::max);
		this.renewalCount.incrementAndGet();
	}

	/**
	 * Records an explicit extension to {@code newTtl} sent at {@code sentAtNanos}: the backend now expires
	 * the lease {@code newTtl} after receiving it, which may be earlier than before, so the deadline is set
	 * rather than maximised. Later renewals use the new TTL.
	 */
	void extended(long sentAtNanos, Duration newTtl) {
		this.ttl = newTtl;
		this.deadlineNanos.set(sentAtNanos + validityNanos(newTtl));
		this.renewalCount.incrementAndGet();
	}

	/** Moves HELD → LOST; returns false if the handle was not held. */
	boolean markLost(boolean mayStillExist) {
		if (!this.state.compareAndSet(HELD, LOST)) {
			return false;
		}
		this.mayStillExist = mayStillExist;
		return true;
	}

	/** Moves HELD → LOST_CLOSED when a release finds the lease already gone. */
	void markLostOnRelease() {
		this.state.set(LOST_CLOSED);
	}

	void fireLostCallbacks() {
		List<Runnable> callbacks;
		synchronized (this) {
			if (this.lostFired) {
				return;
			}
			this.lostFired = true;
			callbacks = this.lostCallbacks;
			this.lostCallbacks = List.of();
		}
		for (Runnable callback : callbacks) {
			this.engine.callbackExecutor.execute(() -> runCallback(callback));
		}
	}

	private static void runCallback(Runnable callback) {
		try {
			callback.run();
		}
		catch (RuntimeException ex) {
			logger.warn("onLost callback failed", ex);
		}
	}

	@Override
	public LockHandle onLost(Runnable callback) {
		boolean runNow;
		synchronized (this) {
			runNow = this.lostFired;
			if (!runNow) {
				List<Runnable> copy = new ArrayList<>(this.lostCallbacks);
				copy.add(callback);
				this.lostCallbacks = copy;
			}
		}
		if (runNow) {
			runCallback(callback);
		}
		return this;
	}

	@Override
	public String key() {
		return this.key;
	}

	@Override
	public String name() {
		return this.name;
	}

	@Override
	public LeaseType type() {
		return this.ref.type();
	}

	@Override
	public int permits() {
		return this.permits;
	}

	@Override
	public String owner() {
		return this.engine.ownerId();
	}

	@Override
	public String leaseId() {
		return this.ref.leaseId();
	}

	@Override
	public long fencingToken() {
		return this.fencingToken;
	}

	@Override
	public Instant acquiredAt() {
		return this.acquiredAt;
	}

	@Override
	public Map<String, String> metadata() {
		return this.metadata;
	}

	@Override
	public boolean isValid() {
		return this.state.get() == HELD && this.engine.clock().nanoTime() < this.deadlineNanos.get();
	}

	@Override
	public Duration remaining() {
		if (this.state.get() != HELD) {
			return Duration.ZERO;
		}
		long left = this.deadlineNanos.get() - this.engine.clock().nanoTime();
		return (left > 0) ? Duration.ofNanos(left) : Duration.ZERO;
	}

	@Override
	public long renewals() {
		return this.renewalCount.get();
	}

	@Override
	public void extend(Duration newTtl) {
		if (newTtl == null || newTtl.isZero() || newTtl.isNegative()) {
			throw new IllegalArgumentException("LockHandle.extend: ttl must be positive, was " + newTtl);
		}
		int current = this.state.get();
		if (current == RELEASED) {
			throw new LockNotHeldException(this.key, "Lock '" + this.key + "' was released; it cannot be extended");
		}
		if (current != HELD) {
			throw lostException("cannot be extended");
		}
		this.engine.extend(this, newTtl);
	}

	LockLostException lostException(String what) {
		return new LockLostException(this.key, "Lock '" + this.key + "' (fencing token " + this.fencingToken
				+ ") was lost: it expired or was taken over; it " + what);
	}

	@Override
	public ReleaseOutcome release() {
		while (true) {
			int current = this.state.get();
			if (current == HELD) {
				if (this.state.compareAndSet(HELD, RELEASED)) {
					return this.engine.release(this);
				}
			}
			else if (current == LOST) {
				if (this.state.compareAndSet(LOST, LOST_CLOSED)) {
					this.engine.releaseLost(this);
					return ReleaseOutcome.LOST;
				}
			}
			else {
				return ReleaseOutcome.ALREADY_RELEASED;
			}
		}
	}

	@Override
	public void close() {
		if (release() == ReleaseOutcome.LOST) {
			throw lostException("was not released by this handle");
		}
	}

	@Override
	public String toString() {
		return "LockHandle[key=" + this.key + ", type=" + type() + ", token=" + this.fencingToken + ", leaseId="
				+ leaseId() + "]";
	}

}
