package dev.locksmith.spi;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The in-process half of release notification, for providers to reuse: waiters {@link #subscribe} to a
 * key, and whatever learns of a release (the in-memory store itself, a Redis pub/sub listener, a
 * PostgreSQL {@code LISTEN} connection) calls {@link #signal}. One instance per provider; thread-safe and
 * free of {@code synchronized} blocks, so virtual threads never pin while waiting.
 */
public final class ReleaseSignals {

	private final ConcurrentHashMap<String, Set<Subscription>> waiters = new ConcurrentHashMap<>();

	/**
	 * Registers interest in releases of {@code key}.
	 * @param key the backend key
	 * @return an armed subscription; close it when done waiting
	 */
	public ReleaseSubscription subscribe(String key) {
		Subscription subscription = new Subscription(key);
		this.waiters.compute(key, (k, set) -> {
			Set<Subscription> result = (set != null) ? set : ConcurrentHashMap.newKeySet();
			result.add(subscription);
			return result;
		});
		return subscription;
	}

	/**
	 * Wakes every waiter on {@code key}.
	 * @param key the backend key that was released
	 */
	public void signal(String key) {
		Set<Subscription> set = this.waiters.get(key);
		if (set != null) {
			set.forEach(Subscription::signal);
		}
	}

	/**
	 * Wakes every waiter on every key, for example after a reconnect when notifications may have been missed.
	 */
	public void signalAll() {
		this.waiters.values().forEach((set) -> set.forEach(Subscription::signal));
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

	private void remove(Subscription subscription) {
		this.waiters.computeIfPresent(subscription.key, (k, set) -> {
			set.remove(subscription);
			return set.isEmpty() ? null : set;
		});
	}

	private final class Subscription implements ReleaseSubscription {

		private final String key;

		private final Semaphore signals = new Semaphore(0);

		Subscription(String key) {
			this.key = key;
		}

		void signal() {
			if (this.signals.availablePermits() == 0) {
				this.signals.release();
			}
		}

		@Override
		public boolean await(long timeoutNanos) throws InterruptedException {
			boolean signalled = this.signals.tryAcquire(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS);
			if (signalled) {
				this.signals.drainPermits();
			}
			return signalled;
		}

		@Override
		public void close() {
			remove(this);
		}

	}

}
