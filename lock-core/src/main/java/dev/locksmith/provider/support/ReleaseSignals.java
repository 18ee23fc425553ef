package dev.locksmith.provider.support;

import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.ReleaseSubscription;

/**
 * The in-process half of release notification, for providers to reuse: waiters {@link #subscribe} to a
 * key, and whatever learns of a release (the in-memory store itself, a Redis pub/sub listener, a
 * PostgreSQL {@code LISTEN} connection) calls {@link #signal}.
 *
 * <p>A release wakes every waiter for a shared lease (readers and semaphore permits, several of which
 * may fit) but only the oldest waiter for an exclusive lease that is not already woken: waking all of
 * them would send every one to the backend for one lock that only one can get. A woken exclusive
 * waiter that leaves without using its wake-up (it timed out at that moment) passes it on to the next.
 *
 * <p>One instance per provider; thread-safe and free of {@code synchronized} blocks, so virtual threads
 * never pin while waiting.
 */
public final class ReleaseSignals {

	private final ConcurrentHashMap<String, Waiters> waiters = new ConcurrentHashMap<>();

	/** Runs between choosing an exclusive waiter and handing it the wake-up; a seam for interleaving tests. */
	private final Runnable beforeHandOver;

	/**
	 * Creates the signals of one provider.
	 */
	public ReleaseSignals() {
		this(() -> {
		});
	}

	/** For tests: {@code beforeHandOver} runs at the point where a racing close used to swallow a wake-up. */
	ReleaseSignals(Runnable beforeHandOver) {
		this.beforeHandOver = beforeHandOver;
	}

	/**
	 * Registers interest in releases of {@code key} for a lease of any type (woken on every release).
	 * @param key the backend key
	 * @return an armed subscription; close it when done waiting
	 */
	public ReleaseSubscription subscribe(String key) {
		return subscribe(key, LeaseType.READ);
	}

	/**
	 * Registers interest in releases of {@code key} by a waiter for a lease of {@code type}.
	 * @param key the backend key
	 * @param type what the waiter wants: {@link LeaseType#WRITE} waiters are woken one at a time
	 * @return an armed subscription; close it when done waiting
	 */
	public ReleaseSubscription subscribe(String key, LeaseType type) {
		Subscription subscription = new Subscription(key, type == LeaseType.WRITE);
		this.waiters.compute(key, (k, existing) -> {
			Waiters result = (existing != null) ? existing : new Waiters();
			result.add(subscription);
			return result;
		});
		return subscription;
	}

	/**
	 * Reports a release of {@code key}: wakes every shared waiter and the oldest exclusive waiter that
	 * is not already woken.
	 * @param key the backend key that was released
	 */
	public void signal(String key) {
		Waiters current = this.waiters.get(key);
		if (current != null) {
			current.signal();
		}
	}

	/**
	 * Wakes every waiter on every key, for example after a reconnect when notifications may have been missed.
	 */
	public void signalAll() {
		this.waiters.values().forEach(Waiters::signalEveryone);
	}

	/**
	 * Returns whether anyone waits on {@code key} now.
	 * @param key the backend key
	 * @return {@code true} if there is at least one subscription
	 */
	public boolean hasWaiters(String key) {
		return this.waiters.containsKey(key);
	}

	/**
	 * Returns the keys that have waiters now.
	 * @return a snapshot of the keys
	 */
	public Set<String> keys() {
		return Set.copyOf(this.waiters.keySet());
	}

	private void remove(Subscription subscription, boolean hadUnusedSignal) {
		this.waiters.computeIfPresent(subscription.key, (k, current) -> {
			current.remove(subscription);
			return current.isEmpty() ? null : current;
		});
		if (subscription.exclusive && hadUnusedSignal) {
			signal(subscription.key);
		}
	}

	/** The waiters on one key: shared ones in a set, exclusive ones in subscription order. */
	private static final class Waiters {

		private final Set<Subscription> shared = ConcurrentHashMap.newKeySet();

		private final ConcurrentLinkedQueue<Subscription> exclusive = new ConcurrentLinkedQueue<>();

		void add(Subscription subscription) {
			if (subscription.exclusive) {
				this.exclusive.add(subscription);
			}
			else {
				this.shared.add(subscription);
			}
		}

		void remove(Subscription subscription) {
			if (subscription.exclusive) {
				this.exclusive.remove(subscription);
			}
			else {
				this.shared.remove(subscription);
			}
		}

		boolean isEmpty() {
			return this.shared.isEmpty() && this.exclusive.isEmpty();
		}

		void signal() {
			this.shared.forEach(Subscription::signal);
			for (Iterator<Subscription> it = this.exclusive.iterator(); it.hasNext();) {
				if (it.next().signalIfIdle()) {
					return;
				}
			}
		}

		void signalEveryone() {
			this.shared.forEach(Subscription::signal);
			this.exclusive.forEach(Subscription::signal);
		}

	}

	private final class Subscription implements ReleaseSubscription {

		private static final int IDLE = 0;

		private static final int SIGNALLED = 1;

		private static final int CLOSED = 2;

		private final String key;

		private final boolean exclusive;

		private final Semaphore signals = new Semaphore(0);

		/**
		 * IDLE, SIGNALLED (a wake-up is pending) or CLOSED. Changed only by compare-and-set, so a signaller
		 * choosing this waiter and the waiter closing agree on whether the wake-up was handed over: either
		 * the signal lands first (and close passes it on) or the close does (and the signaller moves on).
		 */
		private final AtomicInteger state = new AtomicInteger(IDLE);

		Subscription(String key, boolean exclusive) {
			this.key = key;
			this.exclusive = exclusive;
		}

		void signal() {
			this.state.compareAndSet(IDLE, SIGNALLED);
			if (this.signals.availablePermits() == 0) {
				this.signals.release();
			}
		}

		/** Signals this waiter unless it already has a wake-up pending or is closed; returns whether it did. */
		boolean signalIfIdle() {
			if (!this.state.compareAndSet(IDLE, SIGNALLED)) {
				return false;
			}
			ReleaseSignals.this.beforeHandOver.run();
			this.signals.release();
			return true;
		}

		@Override
		public boolean await(long timeoutNanos) throws InterruptedException {
			boolean signalled = this.signals.tryAcquire(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS);
			if (signalled) {
				this.signals.drainPermits();
				this.state.compareAndSet(SIGNALLED, IDLE);
			}
			return signalled;
		}

		@Override
		public void wakeUpUnused() {
			if (this.state.compareAndSet(IDLE, SIGNALLED)) {
				this.signals.release();
			}
		}

		@Override
		public void close() {
			int previous = this.state.getAndSet(CLOSED);
			if (previous != CLOSED) {
				remove(this, previous == SIGNALLED);
			}
		}

	}

}
