package dev.locksmith.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.jspecify.annotations.Nullable;

import dev.locksmith.LeaseType;
import dev.locksmith.LockEvent;
import dev.locksmith.LockHandle;
import dev.locksmith.LockLostException;
import dev.locksmith.LockNotHeldException;
import dev.locksmith.LockObserver;
import dev.locksmith.LockOptions;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.ReleaseOutcome;
import dev.locksmith.spi.KeyText;
import dev.locksmith.spi.LeaseRef;

/**
 * The one owner of a held lease's state, and the {@link LockHandle} handed to the caller. It alone changes
 * the lease's lifecycle state, TTL, local deadline, renewal slot and the request in flight; the
 * {@link Renewer} only asks it for a renewal request and hands it the result, and the {@link LockEngine}
 * only creates it after a grant.
 *
 * <p>States: {@code HELD} → {@code RELEASING} → {@code RELEASED} (or {@code RELEASE_FAILED}, from which a
 * further release retries; or {@code LOST_CLOSED} when the backend no longer had the lease), and
 * {@code HELD} → {@code LOST} → {@code LOST_CLOSED}. Every transition happens under this lease's own lock,
 * which is never held during provider I/O. At most one provider request (renewal, extend or release) is in
 * flight per lease: a caller's extend or release waits for an in-flight renewal to be answered (or for the
 * lease's local deadline, where it is declared lost), and the renewer skips a lease whose caller has a
 * request in flight. So the backend applies this lease's requests in the order they were sent, and a result
 * that arrives after the lease was lost is ignored. The one exception is a configured renewal timeout: a
 * renewal unanswered by then is given up (RENEW_FAILED), its late answer ignored, and the lease's next
 * request may be sent while it is still out; that is safe because an answer that is ignored never moves the
 * local deadline, a renewal of a released lease id extends nothing on the backend, and a renewal applied
 * after a shortening extend only makes the backend expiry later than the local deadline.
 *
 * <p>Invariants (checked by the tests and the simulation): while {@code HELD}, the lease has exactly one
 * slot in the renewer's queue: its renewal slot, or while a request is in flight a deadline check at its
 * local deadline, so that it is declared lost there even if the request never returns; the local deadline
 * is at most the backend's expiry (it is measured from when the request that set it was sent, with the TTL that request
 * carried, minus a drift allowance); {@code onLost} callbacks and the LOST event happen at most once.
 */
final class HeldLease implements LockHandle {

	private enum State {

		HELD, RELEASING, RELEASE_FAILED, RELEASED, LOST, LOST_CLOSED

	}

	/** A renewal sent for this lease by the renewer; its result is applied only if it is still pending. */
	record RenewalTicket(HeldLease lease, LeaseRef ref, Duration ttl) {
	}

	private final LockEngine engine;

	private final Renewer renewer;

	final LeaseRef ref;

	private final String key;

	private final String name;

	/** The permits held: only lowered, by {@link #releasePermits}, under {@link #lock}. */
	private volatile int permits;

	private final long fencingToken;

	private final Instant acquiredAt;

	final long acquiredNanos;

	private final Map<String, String> metadata;

	/** The thread that holds the lease for its critical section, or null for a lease of asynchronous work. */
	final @Nullable Thread acquiringThread;

	final boolean autoExtend;

	private final Duration minHold;

	/** The configured renewal period, or 0 for the default (a third of the TTL). */
	private final long renewalPeriodNanos;

	/** The configured renewal timeout, or 0 for none (a renewal's answer is awaited until the local deadline). */
	private final long renewalTimeoutNanos;

	final long sequence;

	private final ReentrantLock lock = new ReentrantLock();

	/** Signalled when the request in flight has been answered. */
	private final Condition idle = this.lock.newCondition();

	// ---- guarded by lock

	private State state = State.HELD;

	private Duration ttl;

	private long deadlineNanos;

	private long renewals;

	private Renewer.@Nullable Slot slot;

	private boolean inFlight;

	private @Nullable RenewalTicket pendingRenewal;

	/** Whether {@link #pendingRenewal} was handed to the provider; until then a caller may cancel it. */
	private boolean renewalSent;

	/** When a sent {@link #pendingRenewal} times out (only with a renewal timeout). */
	private long renewalGiveUpNanos;

	private boolean mayStillExist;

	private @Nullable List<Runnable> lostCallbacks = new ArrayList<>();

	/** The observer's view of this hold; {@link LockObserver.Hold#NONE} once ended. */
	private LockObserver.Hold observation = LockObserver.Hold.NONE;

	HeldLease(LockEngine engine, Renewer renewer, LeaseRef ref, String key, String name, int permits,
			long fencingToken, Instant acquiredAt, long sentAtNanos, Duration ttl, Map<String, String> metadata,
			boolean autoExtend, Duration minHold, @Nullable Duration renewalPeriod, @Nullable Duration renewalTimeout,
			long sequence, @Nullable Thread acquiringThread) {
		this.engine = engine;
		this.renewer = renewer;
		this.ref = ref;
		this.key = key;
		this.name = name;
		this.permits = permits;
		this.fencingToken = fencingToken;
		this.acquiredAt = acquiredAt;
		this.acquiredNanos = sentAtNanos;
		this.metadata = metadata;
		this.acquiringThread = acquiringThread;
		this.autoExtend = autoExtend;
		this.minHold = minHold;
		this.renewalPeriodNanos = (renewalPeriod != null) ? renewalPeriod.toNanos() : 0;
		this.renewalTimeoutNanos = (renewalTimeout != null) ? renewalTimeout.toNanos() : 0;
		this.sequence = sequence;
		this.ttl = ttl;
		this.deadlineNanos = sentAtNanos + validityNanos(ttl);
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

	/**
	 * Returns how long after a renewal (or grant) was sent the next one is due. By default a third of the TTL,
	 * at least 1 ms, but never more than half the validity, so that even the shortest TTLs are renewed before
	 * their local deadline. A configured renewal period is used as given, but never more than 90% of the
	 * validity (it may exceed that after an extend to a shorter TTL), so a renewal is always due before the
	 * local deadline.
	 */
	long renewIntervalNanos(Duration ttl) {
		long validity = validityNanos(ttl);
		if (this.renewalPeriodNanos > 0) {
			return Math.max(1, Math.min(this.renewalPeriodNanos, validity - validity / 10));
		}
		return Math.min(Math.max(1_000_000L, ttl.toNanos() / 3), validity / 2);
	}

	/** Schedules the first renewal or deadline check; called once, right after the grant. */
	void start() {
		this.lock.lock();
		try {
			if (this.state != State.HELD || this.slot != null) {
				return; // released (by close()) before it was scheduled
			}
			scheduleLocked(this.autoExtend ? this.acquiredNanos + renewIntervalNanos(this.ttl) : this.deadlineNanos);
		}
		finally {
			this.lock.unlock();
		}
	}

	// ---------------------------------------------------------------- observation

	/** Attaches the observer's hold; called once, before the lease is registered. */
	void observe(LockObserver.Hold hold) {
		this.lock.lock();
		try {
			this.observation = hold;
		}
		finally {
			this.lock.unlock();
		}
	}

	LockObserver.Scope openScope() {
		this.lock.lock();
		LockObserver.Hold hold;
		try {
			hold = this.observation;
		}
		finally {
			this.lock.unlock();
		}
		return hold.openScope();
	}

	/** Ends the observed hold, once (later calls do nothing): released when {@code error} is null. */
	void endObservation(@Nullable Throwable error) {
		LockObserver.Hold hold;
		this.lock.lock();
		try {
			hold = this.observation;
			this.observation = LockObserver.Hold.NONE;
		}
		finally {
			this.lock.unlock();
		}
		hold.ended(error);
	}

	// ---------------------------------------------------------------- renewer side

	/**
	 * The renewer found {@code dueSlot} due at {@code now}: returns the renewal to send, or null when
	 * there is none (the slot is stale, the lease is no longer held, or it was declared lost now).
	 */
	@Nullable RenewalTicket due(Renewer.Slot dueSlot, long now) {
		LostNotice lost = null;
		RenewalTicket ticket = null;
		boolean timedOut = false;
		this.lock.lock();
		try {
			if (dueSlot != this.slot || this.state != State.HELD) {
				return null;
			}
			this.slot = null;
			if (now - this.deadlineNanos >= 0) {
				lost = loseLocked(this.inFlight ? "its local deadline passed while a request for it got no answer"
						: this.autoExtend ? "its local deadline passed before it could be renewed"
								: "its TTL ran out while it was still held", true);
			}
			else if (this.inFlight && this.pendingRenewal != null && this.renewalSent && this.renewalTimeoutNanos > 0
					&& now - this.renewalGiveUpNanos >= 0) {
				// the renewal got no answer within the renewal timeout: it failed; its late answer is ignored
				finishRenewalLocked(this.pendingRenewal);
				long retryAt = now + Math.min(Renewer.RETRY_NANOS, renewIntervalNanos(this.ttl));
				scheduleLocked((retryAt - this.deadlineNanos < 0) ? retryAt : this.deadlineNanos);
				timedOut = true;
			}
			else if (this.inFlight) {
				scheduleInFlightCheckLocked();
			}
			else if (!this.autoExtend) {
				scheduleLocked(this.deadlineNanos);
			}
			else {
				this.inFlight = true;
				ticket = new RenewalTicket(this, this.ref, this.ttl);
				this.pendingRenewal = ticket;
				this.renewalSent = false;
				scheduleDeadlineLocked();
			}
		}
		finally {
			this.lock.unlock();
		}
		if (lost != null) {
			announceLost(lost);
		}
		if (timedOut) {
			this.engine.statistics.renewFailed.increment();
			this.engine.fireLater(LockEvent.Type.RENEW_FAILED, this, 0, new TimeoutException(
					"Renewal got no answer within the renewal timeout (" + Duration.ofNanos(this.renewalTimeoutNanos) + ")"));
		}
		return ticket;
	}

	/**
	 * The renewer is about to send {@code ticket}: returns whether it still should, and if so marks it sent
	 * (from then on a caller's extend or release waits for its answer). A ticket that is no longer pending,
	 * or whose lease is no longer held or past its local deadline (it may have waited for an earlier batch),
	 * is dropped and ends the request in flight; the lease's deadline check then declares it lost.
	 */
	boolean stillToSend(RenewalTicket ticket, long now) {
		this.lock.lock();
		try {
			if (ticket != this.pendingRenewal) {
				return false;
			}
			if (this.state == State.HELD && now - this.deadlineNanos < 0) {
				this.renewalSent = true;
				if (this.renewalTimeoutNanos > 0) {
					this.renewalGiveUpNanos = now + this.renewalTimeoutNanos;
					scheduleInFlightCheckLocked();
				}
				return true;
			}
			finishRenewalLocked(ticket);
			return false;
		}
		finally {
			this.lock.unlock();
		}
	}

	/** Applies the answer to a renewal sent at {@code sentAtNanos}: {@code live} says whether it extended. */
	void renewalAnswered(RenewalTicket ticket, long sentAtNanos, boolean live) {
		LostNotice lost = null;
		boolean renewed = false;
		this.lock.lock();
		try {
			if (!finishRenewalLocked(ticket)) {
				return;
			}
			if (live) {
				this.deadlineNanos = sentAtNanos + validityNanos(ticket.ttl());
				this.renewals++;
				scheduleLocked(sentAtNanos + renewIntervalNanos(ticket.ttl()));
				renewed = true;
			}
			else {
				lost = loseLocked("a renewal found it gone from the backend", false);
			}
		}
		finally {
			this.lock.unlock();
		}
		if (renewed) {
			this.engine.statistics.renewSuccess.increment();
			this.engine.fireLater(LockEvent.Type.RENEWED, this, 0, null);
		}
		if (lost != null) {
			announceLost(lost);
		}
	}

	/** Applies a renewal that could not reach the backend: retry soon, but not after the deadline. */
	void renewalFailed(RenewalTicket ticket, long now, long retryNanos, Throwable error) {
		this.lock.lock();
		try {
			if (!finishRenewalLocked(ticket)) {
				return;
			}
			long retryAt = now + Math.min(retryNanos, renewIntervalNanos(this.ttl));
			scheduleLocked((retryAt - this.deadlineNanos < 0) ? retryAt : this.deadlineNanos);
		}
		finally {
			this.lock.unlock();
		}
		this.engine.statistics.renewFailed.increment();
		this.engine.fireLater(LockEvent.Type.RENEW_FAILED, this, 0, error);
	}

	/** Ends the pending renewal; returns whether its result still applies (the lease is held). */
	private boolean finishRenewalLocked(RenewalTicket ticket) {
		if (ticket != this.pendingRenewal) {
			return false;
		}
		this.pendingRenewal = null;
		this.inFlight = false;
		this.idle.signalAll();
		return this.state == State.HELD;
	}

	/** The backend reported on its own that it lost this lease. */
	void lostByBackend() {
		LostNotice lost;
		this.lock.lock();
		try {
			lost = loseLocked("the backend reported it lost", false);
		}
		finally {
			this.lock.unlock();
		}
		if (lost != null) {
			announceLost(lost);
		}
	}

	private void scheduleLocked(long dueNanos) {
		Renewer.Slot previous = this.slot;
		this.slot = this.renewer.schedule(this, dueNanos, this.autoExtend ? renewIntervalNanos(this.ttl) / 2 : 0);
		if (previous != null) {
			this.renewer.unschedule(previous);
		}
	}

	/**
	 * Schedules a deadline check while a request is in flight: if no answer arrives by the local deadline,
	 * {@link #due} declares the lease lost there, whatever the backend does.
	 */
	private void scheduleDeadlineLocked() {
		Renewer.Slot previous = this.slot;
		this.slot = this.renewer.schedule(this, this.deadlineNanos, 0);
		if (previous != null) {
			this.renewer.unschedule(previous);
		}
	}

	/**
	 * Schedules the check of a request in flight: at the local deadline, or earlier when a sent renewal times
	 * out first (then {@link #due} gives it up and schedules a retry).
	 */
	private void scheduleInFlightCheckLocked() {
		if (this.pendingRenewal != null && this.renewalSent && this.renewalTimeoutNanos > 0
				&& this.renewalGiveUpNanos - this.deadlineNanos < 0) {
			Renewer.Slot previous = this.slot;
			this.slot = this.renewer.schedule(this, this.renewalGiveUpNanos, 0);
			if (previous != null) {
				this.renewer.unschedule(previous);
			}
			return;
		}
		scheduleDeadlineLocked();
	}

	private void unscheduleLocked() {
		if (this.slot != null) {
			this.renewer.unschedule(this.slot);
			this.slot = null;
		}
	}

	// ---------------------------------------------------------------- loss

	private record LostNotice(String reason, List<Runnable> callbacks) {
	}

	/** Moves HELD → LOST; returns what to announce, or null if the lease was not held. */
	private @Nullable LostNotice loseLocked(String reason, boolean mayStillExist) {
		if (this.state != State.HELD) {
			return null;
		}
		this.state = State.LOST;
		this.mayStillExist = mayStillExist;
		unscheduleLocked();
		this.idle.signalAll(); // a release or extend waiting for a stuck request stops waiting
		return new LostNotice(reason, takeCallbacksLocked());
	}

	private List<Runnable> takeCallbacksLocked() {
		List<Runnable> callbacks = (this.lostCallbacks != null) ? this.lostCallbacks : List.of();
		this.lostCallbacks = null;
		return callbacks;
	}

	private void announceLost(LostNotice notice) {
		announceLost(notice, false);
	}

	private void announceLost(LostNotice notice, boolean foundByCaller) {
		this.engine.lost(this, this.engine.clock().nanoTime() - this.acquiredNanos, notice.reason(),
				notice.callbacks(), foundByCaller);
	}

	// ---------------------------------------------------------------- caller side

	/**
	 * Waits until no request is in flight (cancelling a renewal that is queued but not sent), or the lease
	 * is lost. A held lease's wait ends at its local deadline at the latest: the renewer's deadline check
	 * (which never waits for provider I/O) declares it lost there and wakes this wait, so a renewal call that
	 * never returns does not block a release or extend forever. If the deadline has passed when the wait
	 * starts or wakes, the lease is declared lost here (returned, to announce after unlocking).
	 */
	private @Nullable LostNotice awaitIdleLocked() {
		if (this.pendingRenewal != null && !this.renewalSent) {
			// queued behind another batch, not sent: the caller's own request replaces it
			finishRenewalLocked(this.pendingRenewal);
		}
		while (this.inFlight && this.state != State.LOST && this.state != State.LOST_CLOSED) {
			if (this.state == State.HELD && this.engine.clock().nanoTime() - this.deadlineNanos >= 0) {
				return loseLocked("its local deadline passed while a request for it got no answer", true);
			}
			this.idle.awaitUninterruptibly();
		}
		return null;
	}

	@Override
	public void extend(Duration newTtl) {
		LockOptions.requireTtl("LockHandle.extend", newTtl);
		long sentAt;
		LostNotice lost = null;
		this.lock.lock();
		try {
			lost = awaitIdleLocked();
			if (lost == null) {
				checkHeldLocked("cannot be extended");
				sentAt = this.engine.clock().nanoTime();
				if (sentAt - this.deadlineNanos >= 0) {
					lost = loseLocked("its local deadline passed before it was extended", true);
				}
				else {
					this.inFlight = true;
					// From now on the backend may expire the lease newTtl after this send: until the answer, the
					// handle claims only the earlier of both deadlines (a shortening extend in flight), and the
					// deadline check waits at that deadline
					long ifApplied = sentAt + validityNanos(newTtl);
					if (ifApplied - this.deadlineNanos < 0) {
						this.deadlineNanos = ifApplied;
					}
					scheduleDeadlineLocked();
				}
			}
			else {
				sentAt = 0;
			}
		}
		finally {
			this.lock.unlock();
		}
		if (lost != null) {
			announceLost(lost, true);
			throw lostException("cannot be extended");
		}
		boolean extended;
		try {
			extended = this.engine.provider().extend(this.ref, newTtl);
		}
		catch (RuntimeException ex) {
			extendAnswered(sentAt, newTtl, null);
			throw unavailable(ex, "extend");
		}
		catch (Error ex) {
			extendAnswered(sentAt, newTtl, null);
			throw ex;
		}
		if (!extendAnswered(sentAt, newTtl, extended)) {
			throw lostException("cannot be extended");
		}
		this.engine.statistics.renewSuccess.increment();
		this.engine.fire(LockEvent.Type.RENEWED, this, 0, null);
	}

	/**
	 * Applies the answer to an extend sent at {@code sentAt}: {@code extended} is null when the outcome is
	 * unknown (the backend may or may not have applied it). Returns whether the lease is still held.
	 */
	private boolean extendAnswered(long sentAt, Duration newTtl, @Nullable Boolean extended) {
		LostNotice lost = null;
		boolean held;
		this.lock.lock();
		try {
			this.inFlight = false;
			this.idle.signalAll();
			if (this.state != State.HELD) {
				return false;
			}
			if (extended == null) {
				// The backend expires the lease at the old time or newTtl after the request: trust the earlier.
				long ifApplied = sentAt + validityNanos(newTtl);
				if (ifApplied - this.deadlineNanos < 0) {
					this.deadlineNanos = ifApplied;
				}
				Duration shorter = (newTtl.compareTo(this.ttl) < 0) ? newTtl : this.ttl;
				long due = this.autoExtend ? sentAt + renewIntervalNanos(shorter) : this.deadlineNanos;
				scheduleLocked((due - this.deadlineNanos < 0) ? due : this.deadlineNanos);
			}
			else if (extended) {
				this.ttl = newTtl;
				this.deadlineNanos = sentAt + validityNanos(newTtl);
				this.renewals++;
				scheduleLocked(this.autoExtend ? sentAt + renewIntervalNanos(newTtl) : this.deadlineNanos);
			}
			else {
				lost = loseLocked("the backend no longer had it when it was extended", false);
			}
			held = this.state == State.HELD;
		}
		finally {
			this.lock.unlock();
		}
		if (lost != null) {
			announceLost(lost, true);
		}
		return held;
	}

	@Override
	public int releasePermits(int count) {
		if (type() != dev.locksmith.LeaseType.PERMITS) {
			throw new UnsupportedOperationException("LockHandle.releasePermits: '" + KeyText.forMessage(this.key)
					+ "' is a " + type() + " lease; only a semaphore lease has permits to release");
		}
		int keep;
		LostNotice lost;
		this.lock.lock();
		try {
			lost = awaitIdleLocked();
			if (lost == null) {
				if (this.state == State.HELD && this.engine.clock().nanoTime() - this.deadlineNanos >= 0) {
					lost = loseLocked("its local deadline passed before permits were released", true);
				}
			}
			if (lost == null) {
				checkHeldLocked("cannot release permits");
				if (count < 1 || count > this.permits) {
					throw new IllegalArgumentException("LockHandle.releasePermits: count must be between 1 and the "
							+ this.permits + " permits held, was " + count);
				}
				keep = this.permits - count;
				if (keep > 0) {
					this.inFlight = true;
					scheduleDeadlineLocked();
				}
			}
			else {
				keep = 0;
			}
		}
		finally {
			this.lock.unlock();
		}
		if (lost != null) {
			announceLost(lost, true);
			throw lostException("cannot release permits");
		}
		if (keep == 0) {
			if (release() == ReleaseOutcome.LOST) {
				throw lostException("was not released by this handle");
			}
			return 0;
		}
		Boolean live = null;
		try {
			live = this.engine.provider().reducePermits(this.ref, keep);
		}
		catch (UnsupportedOperationException | IllegalArgumentException ex) {
			reduceAnswered(keep, Boolean.TRUE, false); // refused before anything was applied: nothing changed
			throw ex;
		}
		catch (RuntimeException ex) {
			reduceAnswered(keep, null, false);
			throw unavailable(ex, "release permits of");
		}
		catch (Error ex) {
			reduceAnswered(keep, null, false);
			throw ex;
		}
		if (!reduceAnswered(keep, live, true)) {
			throw lostException("cannot release permits");
		}
		return keep;
	}

	/**
	 * Applies the answer to a partial release: {@code live} is null when the outcome is unknown (the count
	 * then stays as it was), and {@code applied} false when the provider refused the call. Restores the
	 * renewal slot. Returns whether the lease is still held.
	 */
	private boolean reduceAnswered(int keep, @Nullable Boolean live, boolean applied) {
		LostNotice lost = null;
		boolean held;
		this.lock.lock();
		try {
			this.inFlight = false;
			this.idle.signalAll();
			if (this.state != State.HELD) {
				return false;
			}
			if (Boolean.FALSE.equals(live)) {
				lost = loseLocked("the backend no longer had it when permits were released", false);
			}
			else {
				if (applied && live != null) {
					this.permits = keep;
				}
				long lastSent = this.deadlineNanos - validityNanos(this.ttl);
				scheduleLocked(this.autoExtend ? lastSent + renewIntervalNanos(this.ttl) : this.deadlineNanos);
			}
			held = this.state == State.HELD;
		}
		finally {
			this.lock.unlock();
		}
		if (lost != null) {
			announceLost(lost, true);
		}
		return held;
	}

	/** Returns a provider failure as it is if it says the backend is unavailable, else wrapped in one. */
	private LockProviderUnavailableException unavailable(RuntimeException ex, String operation) {
		return (ex instanceof LockProviderUnavailableException unavailable) ? unavailable
				: new LockProviderUnavailableException(this.key, "Lock provider '" + this.engine.provider().name()
						+ "' failed to " + operation + " '" + KeyText.forMessage(this.key) + "'", ex);
	}

	/** Throws unless the lease is held: lost, or released ({@code what} says what cannot be done). */
	private void checkHeldLocked(String what) {
		switch (this.state) {
			case HELD -> {
			}
			case LOST, LOST_CLOSED -> throw lostException(what);
			default -> throw new LockNotHeldException(this.key,
					"Lock '" + KeyText.forMessage(this.key) + "' was released; it " + what);
		}
	}

	LockLostException lostException(String what) {
		return new LockLostException(this.key, "Lock '" + KeyText.forMessage(this.key) + "' (fencing token " + this.fencingToken
				+ ") was lost: it expired or was taken over; it " + what);
	}

	@Override
	public ReleaseOutcome release() {
		boolean first;
		boolean releaseLost = false;
		LostNotice lost;
		this.lock.lock();
		try {
			lost = awaitIdleLocked();
			switch (this.state) {
				case RELEASED, LOST_CLOSED:
					return ReleaseOutcome.ALREADY_RELEASED;
				case LOST:
					this.state = State.LOST_CLOSED;
					// Not while a renewal or extend is still out (it got no answer by the deadline): one
					// request in flight per lease, and a release to a backend that does not answer would
					// block this caller. The lease then expires on the backend by its TTL.
					releaseLost = this.mayStillExist && !this.inFlight;
					break;
				default:
					first = this.state == State.HELD;
					this.state = State.RELEASING;
					this.inFlight = true;
					unscheduleLocked();
					return releaseOnBackend(first);
			}
		}
		finally {
			if (this.lock.isHeldByCurrentThread()) {
				this.lock.unlock();
			}
		}
		if (lost != null) {
			announceLost(lost, true);
		}
		if (releaseLost) {
			this.engine.releaseQuietly(this.ref);
		}
		return ReleaseOutcome.LOST;
	}

	/** Called with the lock held and the state RELEASING; unlocks before the provider call. */
	private ReleaseOutcome releaseOnBackend(boolean first) {
		this.lock.unlock();
		if (first) {
			this.engine.unregister(this);
		}
		long heldNanos = this.engine.clock().nanoTime() - this.acquiredNanos;
		boolean interrupted = Thread.interrupted();
		Boolean wasHeld = null;
		RuntimeException failure = null;
		try {
			long keepNanos = this.minHold.toNanos() - heldNanos;
			wasHeld = (keepNanos > 0) ? this.engine.provider().extend(this.ref, ceilMillis(keepNanos))
					: this.engine.provider().release(this.ref);
		}
		catch (RuntimeException ex) {
			failure = ex;
		}
		finally {
			if (interrupted) {
				Thread.currentThread().interrupt();
			}
			List<Runnable> callbacks = null;
			this.lock.lock();
			try {
				this.inFlight = false;
				this.idle.signalAll();
				if (wasHeld == null) {
					this.state = State.RELEASE_FAILED;
				}
				else if (wasHeld) {
					this.state = State.RELEASED;
				}
				else {
					this.state = State.LOST_CLOSED;
					callbacks = takeCallbacksLocked();
				}
			}
			finally {
				this.lock.unlock();
			}
			if (callbacks != null) {
				this.engine.lost(this, heldNanos, "a release found it gone from the backend", callbacks,
						true);
			}
		}
		if (failure != null) {
			LockProviderUnavailableException thrown = (failure instanceof LockProviderUnavailableException unavailable)
					? unavailable
					: new LockProviderUnavailableException(this.key, "Lock provider '" + this.engine.provider().name()
							+ "' failed to release '" + KeyText.forMessage(this.key) + "'; the lease expires by its TTL", failure);
			endObservation(thrown);
			throw thrown;
		}
		if (wasHeld) {
			endObservation(null);
			this.engine.statistics.released.increment();
			this.engine.statistics.holdNanos.add(heldNanos);
			this.engine.fire(LockEvent.Type.RELEASED, this, heldNanos, null);
			return ReleaseOutcome.RELEASED;
		}
		return ReleaseOutcome.LOST;
	}

	private static Duration ceilMillis(long nanos) {
		return Duration.ofMillis((nanos + 999_999L) / 1_000_000L);
	}

	@Override
	public void close() {
		if (release() == ReleaseOutcome.LOST) {
			throw lostException("was not released by this handle");
		}
	}

	@Override
	public LockHandle onLost(Runnable callback) {
		java.util.Objects.requireNonNull(callback, "callback must not be null");
		boolean runNow;
		this.lock.lock();
		try {
			runNow = this.lostCallbacks == null;
			if (!runNow) {
				this.lostCallbacks.add(callback);
			}
		}
		finally {
			this.lock.unlock();
		}
		if (runNow) {
			LockEngine.runCallback(callback);
		}
		return this;
	}

	// ---------------------------------------------------------------- reads

	boolean isHeld() {
		this.lock.lock();
		try {
			return this.state == State.HELD;
		}
		finally {
			this.lock.unlock();
		}
	}

	@Override
	public boolean isValid() {
		return remainingNanos() > 0;
	}

	@Override
	public Duration remaining() {
		return Duration.ofNanos(remainingNanos());
	}

	private long remainingNanos() {
		this.lock.lock();
		try {
			if (this.state != State.HELD) {
				return 0;
			}
			long left = this.deadlineNanos - this.engine.clock().nanoTime();
			return Math.max(0, left);
		}
		finally {
			this.lock.unlock();
		}
	}

	@Override
	public long renewals() {
		this.lock.lock();
		try {
			return this.renewals;
		}
		finally {
			this.lock.unlock();
		}
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
	public String toString() {
		return "LockHandle[key=" + this.key + ", type=" + type() + ", token=" + this.fencingToken + ", leaseId="
				+ leaseId() + "]";
	}

}
