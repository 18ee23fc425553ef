package dev.locksmith.leader;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.locksmith.Backoff;
import dev.locksmith.LockHandle;
import dev.locksmith.LockNotAcquiredException;
import dev.locksmith.LockOptions;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.MutexService;
import dev.locksmith.ReleaseOutcome;

/**
 * Leader election for one name, built on a lease of the {@link MutexService}: whichever process holds the
 * auto-extended lease on {@code "leader:" + name} is leader, and the lease's fencing token is its
 * {@linkplain Leadership#term() term}. Works on every provider.
 *
 * <pre>{@code
 * LeaderElection election = LeaderElection.builder(locks, "billing")
 *         .listener(new LeaderListener() {
 *             public void granted(Leadership leadership) { log.info("leading, term {}", leadership.term()); }
 *         })
 *         .build();
 * election.start();
 * ...
 * if (election.isLeader()) { ... }
 * election.stop();
 * }</pre>
 *
 * <p><b>Candidate.</b> {@link #start()} starts one candidate thread that blocks in
 * {@link MutexService#acquire} with a long wait time. Re-contention is woken by the backend: the engine
 * waits on the provider's release signal (Redis pub/sub, PostgreSQL {@code LISTEN}, in-memory condition)
 * or, when the holder's lease runs out, on the expiry hint the backend returned; a provider without
 * release signals is retried with the options' {@link Backoff}. While the backend is unreachable the
 * candidate backs off with the configured {@link Backoff} and tries again; it is not leader meanwhile. A
 * lease the lock service refuses as bad input ({@link IllegalArgumentException}: a provider's key or TTL
 * limit) is not retried: the error is logged and the election stops ({@link #isRunning()} turns false). A
 * grant that arrives already invalid (the acquisition took longer than the TTL) is released, never announced.
 *
 * <p><b>Loss is known before anyone else can lead.</b> The lease's local deadline is measured on a
 * monotonic clock from the moment the acquire (or renewal) request was <em>sent</em>, minus a drift
 * allowance, so it passes before the backend can expire the lease and grant it to someone else.
 * {@link #isLeader()} and {@link #leadership()} check that deadline on every call
 * ({@link LockHandle#isValid()}), so they turn false at the local deadline at the latest, even when no
 * thread of this process ran in between (a long GC pause, {@code SIGSTOP}): the first check after the
 * process resumes already says "not leader". The {@link LeaderListener#revoked revoked} callback with
 * {@link RevocationReason#LOST} follows as soon as the renewal thread sees the deadline pass or a renewal
 * find the lease gone ({@link LockHandle#onLost}); the candidate also wakes at the deadline itself. Two
 * cases escape the argument and are caught only by the term: an operator's
 * {@link MutexService#forceRelease force release}, and a backend that loses data (a Redis failover
 * without replica acknowledgement). Fence every write with the term to be safe in all cases.
 *
 * <p><b>Yield.</b> {@link #yield()} releases the lease at once, which wakes the other candidates; this
 * candidate then waits the {@linkplain Builder#yieldDelay yield delay} (default
 * {@value #DEFAULT_YIELD_DELAY_MILLIS} ms, longer than the longest pause between attempts of a waiter
 * without release signals) before contending again, so that another candidate takes over when there is
 * one. With no other candidate it becomes leader again, with a new term, after the delay.
 *
 * <p><b>Stop.</b> {@link #stop()} interrupts a candidate that is still acquiring (the engine gives up
 * the attempt) or releases the lease of a leader, reports {@link RevocationReason#STOPPED}, and waits for
 * the candidate thread to end. An election can be started again after it stopped; a run started while
 * another thread's stop() is still under way contends only once the previous run and its callbacks ended. Stop it before closing
 * the lock service (the Boot starter's lifecycle does): a candidate on a closed service only logs errors.
 *
 * <p>Callbacks run in order on the election's own event thread, never on the renewal thread; see
 * {@link LeaderListener}. Thread-safe.
 */
public final class LeaderElection implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(LeaderElection.class);

	/** Prefix of the lock key that carries an election: the key is this plus the election name. */
	public static final String KEY_PREFIX = "leader:";

	/** Default pause after {@link #yield()} before contending again: {@value} ms. */
	public static final long DEFAULT_YIELD_DELAY_MILLIS = 2_000;

	/** How long one blocking acquisition waits before the candidate simply asks again. */
	private static final Duration CONTEND_WAIT = Duration.ofHours(1);

	/** How long {@link #stop()} waits for the candidate and the pending callbacks to finish. */
	private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

	private final MutexService locks;

	private final String name;

	private final String key;

	private final LockOptions options;

	private final Duration yieldDelay;

	private final Backoff retryBackoff;

	private final List<LeaderListener> listeners;

	private final ReentrantLock lifecycle = new ReentrantLock();

	/** The running candidate, between start and stop; guarded by {@link #lifecycle}. */
	private @Nullable Candidate candidate;

	/** The candidate stopped last; a new one waits for it to end. Guarded by {@link #lifecycle}. */
	private @Nullable Candidate stopped;

	/** Makes the candidate and event threads; null for daemon platform threads. */
	private final @Nullable ThreadFactory threadFactory;

	/** The term held now; written by the candidate thread only. */
	private volatile @Nullable Term current;

	private LeaderElection(Builder builder) {
		this.locks = builder.locks;
		this.name = builder.name;
		this.key = KEY_PREFIX + builder.name;
		LockOptions base = LockOptions.defaults();
		if (builder.ttl != null) {
			base = base.withTtl(builder.ttl);
		}
		// Set everything the service's defaults could make unfit for an election: an attempt limit would
		// make a follower give up at once and ask again in a busy loop; a minimum hold would keep the lease
		// on the backend after yield() or stop(), so that nobody could lead meanwhile.
		this.retryBackoff = builder.retryBackoff.withMaxAttempts(0);
		this.options = base.withAutoExtend(true)
			.withWaitTime(CONTEND_WAIT)
			.withBackoff(this.retryBackoff)
			.withMinHold(Duration.ZERO)
			.withName(KEY_PREFIX + builder.name);
		this.yieldDelay = builder.yieldDelay;
		this.listeners = new CopyOnWriteArrayList<>(builder.listeners);
		this.threadFactory = builder.threadFactory;
	}

	/**
	 * Starts building an election for {@code name} on {@code locks}.
	 * @param locks the lock service whose leases carry leadership
	 * @param name the election name, shared by all candidates of the same role
	 * @return the builder
	 * @throws IllegalArgumentException if {@code name} is null or blank
	 */
	public static Builder builder(MutexService locks, String name) {
		return new Builder(locks, name);
	}

	/**
	 * Returns the election name.
	 * @return the name
	 */
	public String name() {
		return this.name;
	}

	/**
	 * Returns the lock key whose lease carries leadership ({@value #KEY_PREFIX} plus the name).
	 * @return the key
	 */
	public String key() {
		return this.key;
	}

	/**
	 * Adds a listener; it hears of changes from now on (not of a term already granted).
	 * @param listener the listener
	 */
	public void addListener(LeaderListener listener) {
		this.listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
	}

	/**
	 * Starts contending for leadership on a new candidate thread. Does nothing if already running.
	 */
	public void start() {
		this.lifecycle.lock();
		try {
			if (this.candidate == null) {
				Candidate started = new Candidate(this.stopped);
				this.stopped = null;
				this.candidate = started;
				started.thread.start();
			}
		}
		finally {
			this.lifecycle.unlock();
		}
	}

	/**
	 * Stops contending: a leader releases its lease and is told {@link RevocationReason#STOPPED}; a candidate
	 * still acquiring is interrupted. Waits (up to 30 s) for the candidate thread and the pending callbacks
	 * to finish, unless called from a callback. Does nothing if not running.
	 */
	public void stop() {
		Candidate stopping;
		this.lifecycle.lock();
		try {
			stopping = this.candidate;
			this.candidate = null;
			if (stopping != null) {
				this.stopped = stopping;
			}
		}
		finally {
			this.lifecycle.unlock();
		}
		if (stopping != null) {
			stopping.stop();
		}
	}

	/**
	 * Same as {@link #stop()}.
	 */
	@Override
	public void close() {
		stop();
	}

	/**
	 * Returns whether the election is started.
	 * @return {@code true} between {@link #start()} and {@link #stop()}
	 */
	public boolean isRunning() {
		this.lifecycle.lock();
		try {
			return this.candidate != null;
		}
		finally {
			this.lifecycle.unlock();
		}
	}

	/**
	 * Returns whether this process is leader now: it holds the lease and the lease's local deadline has not
	 * passed. Turns false at the deadline even before the revoked callback runs.
	 * @return {@code true} while leader
	 */
	public boolean isLeader() {
		Term term = this.current;
		return term != null && term.handle.isValid();
	}

	/**
	 * Returns the current term if this process is leader now (see {@link #isLeader()}).
	 * @return the leadership, or empty when not leader
	 */
	public Optional<Leadership> leadership() {
		Term term = this.current;
		return (term != null && term.handle.isValid()) ? Optional.of(term.leadership) : Optional.empty();
	}

	/**
	 * Steps down if leader: releases the lease (waking the other candidates), reports
	 * {@link RevocationReason#RELEASED}, and contends again after the yield delay. Returns at once; the
	 * release happens on the candidate thread.
	 * @return {@code true} if this process was leader and will step down
	 */
	public boolean yield() {
		Candidate running;
		this.lifecycle.lock();
		try {
			running = this.candidate;
		}
		finally {
			this.lifecycle.unlock();
		}
		return running != null && running.requestYield();
	}

	@Override
	public String toString() {
		return "LeaderElection[name=" + this.name + ", leader=" + isLeader() + "]";
	}

	private void notifyListeners(Leadership leadership, @Nullable RevocationReason reason) {
		for (LeaderListener listener : this.listeners) {
			try {
				if (reason == null) {
					listener.granted(leadership);
				}
				else {
					listener.revoked(leadership, reason);
				}
			}
			catch (RuntimeException ex) {
				logger.warn("Leader listener {} failed on {} of '{}' (term {})", listener,
						(reason != null) ? "revoked " + reason : "granted", this.name, leadership.term(), ex);
			}
		}
	}

	/** A lease held as leader and the term it carries. */
	private record Term(LockHandle handle, Leadership leadership) {
	}

	/**
	 * One run of the election, from start to stop: the candidate thread, its event thread, and the
	 * requests other threads make of it (all guarded by {@link #lock}).
	 */
	private final class Candidate implements Runnable {

		final Thread thread;

		private final ExecutorService events;

		private final ReentrantLock lock = new ReentrantLock();

		private final Condition changed = this.lock.newCondition();

		private boolean stopRequested;

		private boolean acquiring;

		/** The handle of the current term, while leading; requests apply to it only. */
		private @Nullable LockHandle leading;

		private boolean yieldRequested;

		private boolean lostSignalled;

		/** The candidate of the previous run, until this one has waited for it to end. */
		private @Nullable Candidate predecessor;

		Candidate(@Nullable Candidate predecessor) {
			this.predecessor = predecessor;
			String threadName = "locksmith-leader-" + LeaderElection.this.name;
			this.thread = newThread(this, threadName);
			this.events = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
					(runnable) -> newThread(runnable, threadName + "-events"));
		}

		private Thread newThread(Runnable runnable, String threadName) {
			ThreadFactory factory = LeaderElection.this.threadFactory;
			if (factory == null) {
				Thread thread = new Thread(runnable, threadName);
				thread.setDaemon(true);
				return thread;
			}
			Thread thread = factory.newThread(runnable);
			thread.setName(threadName);
			return thread;
		}

		@Override
		public void run() {
			int failures = 0;
			try {
				awaitPredecessor();
				while (!isStopRequested()) {
					LockHandle handle;
					try {
						handle = acquire();
						failures = 0;
						if (handle == null) {
							continue; // stopped
						}
					}
					catch (LockNotAcquiredException ex) {
						continue; // the long wait ran out, or stop() interrupted the attempt
					}
					catch (IllegalArgumentException ex) {
						// bad input (a provider's key or TTL limit): never retried as an outage
						logger.error("Leader election '{}': the lock service refuses its lease; the election stops",
								LeaderElection.this.name, ex);
						giveUp();
						continue;
					}
					catch (LockProviderUnavailableException ex) {
						failures++;
						logger.warn("Leader election '{}': backend unavailable, retrying ({} failure(s)): {}",
								LeaderElection.this.name, failures, ex.getMessage());
						pause(LeaderElection.this.retryBackoff.delayNanos(failures));
						continue;
					}
					catch (RuntimeException ex) {
						failures++;
						logger.error("Leader election '{}': acquisition failed, retrying", LeaderElection.this.name,
								ex);
						pause(LeaderElection.this.retryBackoff.delayNanos(failures));
						continue;
					}
					if (lead(handle) == RevocationReason.RELEASED) {
						pause(LeaderElection.this.yieldDelay.toNanos());
					}
				}
			}
			finally {
				this.events.shutdown();
			}
		}

		/**
		 * Waits (up to the stop timeout) for the previous run's candidate thread and callbacks to end, when
		 * start() came while a stop() was still under way: its term is then released and revoked before this
		 * run can be granted, so callbacks never overlap or reorder and only one run writes the term.
		 */
		private void awaitPredecessor() {
			Candidate before = this.predecessor;
			this.predecessor = null;
			if (before == null) {
				return;
			}
			this.lock.lock();
			try {
				if (this.stopRequested) {
					return;
				}
				this.acquiring = true; // so that stop() interrupts the wait
			}
			finally {
				this.lock.unlock();
			}
			try {
				before.thread.join(STOP_TIMEOUT.toMillis());
				if (!before.events.awaitTermination(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
					logger.warn("Leader election '{}': callbacks of the previous run still running {} after start",
							LeaderElection.this.name, STOP_TIMEOUT);
				}
			}
			catch (InterruptedException ex) {
				// only stop() interrupts this thread, and it set stopRequested first
			}
			finally {
				this.lock.lock();
				try {
					this.acquiring = false;
					Thread.interrupted();
				}
				finally {
					this.lock.unlock();
				}
			}
		}

		/** Ends this run from the candidate thread: it stops, and the election is no longer running. */
		private void giveUp() {
			this.lock.lock();
			try {
				this.stopRequested = true;
			}
			finally {
				this.lock.unlock();
			}
			LeaderElection.this.lifecycle.lock();
			try {
				if (LeaderElection.this.candidate == this) {
					LeaderElection.this.candidate = null;
					LeaderElection.this.stopped = this;
				}
			}
			finally {
				LeaderElection.this.lifecycle.unlock();
			}
		}

		/** Blocks until granted; returns null if stopped first. */
		private @Nullable LockHandle acquire() {
			this.lock.lock();
			try {
				if (this.stopRequested) {
					return null;
				}
				this.acquiring = true;
			}
			finally {
				this.lock.unlock();
			}
			try {
				return LeaderElection.this.locks.acquire(LeaderElection.this.key, LeaderElection.this.options);
			}
			finally {
				this.lock.lock();
				try {
					this.acquiring = false;
					Thread.interrupted(); // an interrupt from stop() is answered by stopRequested
				}
				finally {
					this.lock.unlock();
				}
			}
		}

		/** Leads until the term ends; returns why it ended. */
		private RevocationReason lead(LockHandle handle) {
			Leadership leadership = new Leadership(LeaderElection.this.name, handle.fencingToken(), handle.owner(),
					handle.acquiredAt());
			this.lock.lock();
			try {
				if (this.stopRequested) {
					releaseQuietly(handle); // won while stopping: never announced
					return RevocationReason.STOPPED;
				}
				if (!handle.isValid()) {
					// the grant took longer than the TTL to arrive (or was lost at once): never announced
					releaseQuietly(handle);
					return RevocationReason.LOST;
				}
				this.leading = handle;
				this.yieldRequested = false;
				this.lostSignalled = false;
			}
			finally {
				this.lock.unlock();
			}
			// Runs on the renewal thread (or here, if already lost): only wake the candidate.
			handle.onLost(() -> signal(handle));
			LeaderElection.this.current = new Term(handle, leadership);
			this.events.execute(() -> notifyListeners(leadership, null));
			RevocationReason reason = awaitEnd(handle);
			LeaderElection.this.current = null;
			this.lock.lock();
			try {
				this.leading = null;
			}
			finally {
				this.lock.unlock();
			}
			if (releaseQuietly(handle) == ReleaseOutcome.LOST) {
				reason = RevocationReason.LOST;
			}
			RevocationReason revoked = reason;
			this.events.execute(() -> notifyListeners(leadership, revoked));
			return reason;
		}

		private RevocationReason awaitEnd(LockHandle handle) {
			this.lock.lock();
			try {
				while (true) {
					if (this.lostSignalled || !handle.isValid()) {
						return RevocationReason.LOST;
					}
					if (this.stopRequested) {
						return RevocationReason.STOPPED;
					}
					if (this.yieldRequested) {
						return RevocationReason.RELEASED;
					}
					// Also wake at the local deadline, in case the renewal thread is late to report it.
					long nanos = Math.max(handle.remaining().toNanos(), TimeUnit.MILLISECONDS.toNanos(1));
					try {
						this.changed.awaitNanos(nanos);
					}
					catch (InterruptedException ex) {
						// only stop() interrupts this thread, and it set stopRequested first
					}
				}
			}
			finally {
				this.lock.unlock();
			}
		}

		private ReleaseOutcome releaseQuietly(LockHandle handle) {
			try {
				return handle.release();
			}
			catch (RuntimeException ex) {
				logger.warn("Leader election '{}': could not release term {}; it expires by its TTL",
						LeaderElection.this.name, handle.fencingToken(), ex);
				return ReleaseOutcome.RELEASED;
			}
		}

		private void signal(LockHandle handle) {
			this.lock.lock();
			try {
				if (this.leading == handle) {
					this.lostSignalled = true;
					this.changed.signalAll();
				}
			}
			finally {
				this.lock.unlock();
			}
		}

		boolean requestYield() {
			this.lock.lock();
			try {
				if (this.leading == null || this.stopRequested) {
					return false;
				}
				this.yieldRequested = true;
				this.changed.signalAll();
				return true;
			}
			finally {
				this.lock.unlock();
			}
		}

		private boolean isStopRequested() {
			this.lock.lock();
			try {
				return this.stopRequested;
			}
			finally {
				this.lock.unlock();
			}
		}

		/** Sleeps up to {@code nanos}, or until stop() is requested. */
		private void pause(long nanos) {
			long deadline = System.nanoTime() + nanos;
			this.lock.lock();
			try {
				long left = nanos;
				while (!this.stopRequested && left > 0) {
					try {
						this.changed.awaitNanos(left);
					}
					catch (InterruptedException ex) {
						// stop() interrupts only while acquiring; nothing to do
					}
					left = deadline - System.nanoTime();
				}
			}
			finally {
				this.lock.unlock();
			}
		}

		void stop() {
			this.lock.lock();
			try {
				this.stopRequested = true;
				if (this.acquiring) {
					this.thread.interrupt();
				}
				this.changed.signalAll();
			}
			finally {
				this.lock.unlock();
			}
			Thread caller = Thread.currentThread();
			if (caller == this.thread) {
				return;
			}
			try {
				this.thread.join(STOP_TIMEOUT.toMillis());
				if (this.thread.isAlive()) {
					logger.warn("Leader election '{}': candidate thread still running {} after stop",
							LeaderElection.this.name, STOP_TIMEOUT);
				}
				else if (!caller.getName().equals(this.thread.getName() + "-events")) {
					this.events.awaitTermination(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

	}

	/**
	 * Builds a {@link LeaderElection}. Not thread-safe; build once.
	 */
	public static final class Builder {

		private final MutexService locks;

		private final String name;

		private @Nullable Duration ttl;

		private Duration yieldDelay = Duration.ofMillis(DEFAULT_YIELD_DELAY_MILLIS);

		private Backoff retryBackoff = Backoff.defaults();

		private final List<LeaderListener> listeners = new CopyOnWriteArrayList<>();

		private @Nullable ThreadFactory threadFactory;

		private Builder(MutexService locks, String name) {
			this.locks = Objects.requireNonNull(locks, "locks must not be null");
			if (name == null || name.isBlank()) {
				throw new IllegalArgumentException("LeaderElection name must not be null or blank, was "
						+ ((name == null) ? "null" : "'" + name + "'"));
			}
			this.name = name;
		}

		/**
		 * Sets the TTL of the leadership lease (default: the lock service's default TTL). The lease is renewed
		 * at a third of it; a leader that dies is replaced within about this long.
		 * @param ttl the lease TTL, positive
		 * @return this builder
		 * @throws IllegalArgumentException if {@code ttl} is null, zero or negative
		 */
		public Builder ttl(Duration ttl) {
			if (ttl == null || ttl.isZero() || ttl.isNegative()) {
				throw new IllegalArgumentException("LeaderElection ttl must be positive, was " + ttl);
			}
			this.ttl = ttl;
			return this;
		}

		/**
		 * Sets how long a candidate that yielded waits before contending again (default
		 * {@value LeaderElection#DEFAULT_YIELD_DELAY_MILLIS} ms).
		 * @param yieldDelay the delay, zero or more
		 * @return this builder
		 * @throws IllegalArgumentException if {@code yieldDelay} is null or negative
		 */
		public Builder yieldDelay(Duration yieldDelay) {
			if (yieldDelay == null || yieldDelay.isNegative()) {
				throw new IllegalArgumentException("LeaderElection yieldDelay must be zero or positive, was "
						+ yieldDelay);
			}
			this.yieldDelay = yieldDelay;
			return this;
		}

		/**
		 * Sets how the candidate spaces its attempts while the backend is unreachable, and while another
		 * candidate leads on a provider without release signals (default {@link Backoff#defaults()}; its
		 * attempt limit is ignored: a candidate never gives up). The lock service's default backoff and
		 * minimum hold do not apply to elections.
		 * @param retryBackoff the backoff
		 * @return this builder
		 */
		public Builder retryBackoff(Backoff retryBackoff) {
			this.retryBackoff = Objects.requireNonNull(retryBackoff, "retryBackoff must not be null");
			return this;
		}

		/**
		 * Adds a listener.
		 * @param listener the listener
		 * @return this builder
		 */
		public Builder listener(LeaderListener listener) {
			this.listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
			return this;
		}

		/**
		 * Sets the factory of the candidate thread (which waits for the lease) and of the thread that runs
		 * the listeners (default: daemon platform threads); a virtual-thread factory runs both on virtual
		 * threads.
		 * @param threadFactory the thread factory
		 * @return this builder
		 */
		public Builder threadFactory(ThreadFactory threadFactory) {
			this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory must not be null");
			return this;
		}

		/**
		 * Builds the election (not started).
		 * @return the election
		 */
		public LeaderElection build() {
			return new LeaderElection(this);
		}

	}

}
