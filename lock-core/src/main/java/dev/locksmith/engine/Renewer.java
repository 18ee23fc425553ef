package dev.locksmith.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.locksmith.LockClock;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.spi.Renewal;

/**
 * The one renewal scheduler of an engine: a single daemon thread that sleeps until the earliest handle
 * is due, then renews every auto-extended handle due within half its renewal interval in ONE
 * {@link LockProvider#renew} call, and declares lost every handle whose local deadline has passed.
 * Handles are ordered by due time in a skip list, so no thread or timer is created per lock.
 */
final class Renewer {

	private static final Logger logger = LoggerFactory.getLogger(Renewer.class);

	/** Retry delay after a renewal that could not reach the backend (bounded by the deadline). */
	private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

	private final LockEngine engine;

	private final LockProvider provider;

	private final LockClock clock;

	private final ConcurrentSkipListSet<EngineHandle> queue = new ConcurrentSkipListSet<>(
			Comparator.comparingLong((EngineHandle handle) -> handle.dueNanos)
				.thenComparingLong((handle) -> handle.sequence));

	private final ScheduledThreadPoolExecutor executor;

	private final ReentrantLock running = new ReentrantLock();

	/** When the pending scheduled run fires (monotonic nanos), or MAX_VALUE when none is pending. */
	private final AtomicLong scheduledFor = new AtomicLong(Long.MAX_VALUE);

	/** Whether the last renewal call failed (only touched by runs, which hold {@link #running}). */
	private boolean failing;

	/** The largest coalescing window of any handle added so far. */
	private volatile long maxWindowNanos;

	/** Whether runs are scheduled on the executor; false: only {@link #runDue} called by the caller. */
	private final boolean background;

	Renewer(LockEngine engine, LockProvider provider, LockClock clock, boolean background) {
		this.background = background;
		this.engine = engine;
		this.provider = provider;
		this.clock = clock;
		this.executor = new ScheduledThreadPoolExecutor(1, (runnable) -> {
			Thread thread = new Thread(runnable, "locksmith-renewal");
			thread.setDaemon(true);
			return thread;
		});
		this.executor.setRemoveOnCancelPolicy(true);
	}

	void add(EngineHandle handle) {
		handle.dueNanos = handle.autoExtend ? handle.acquiredNanos + handle.renewIntervalNanos()
				: handle.deadlineNanos();
		long window = window(handle);
		if (window > this.maxWindowNanos) {
			this.maxWindowNanos = window;
		}
		this.queue.add(handle);
		wakeAt(handle.dueNanos);
	}

	void remove(EngineHandle handle) {
		this.queue.remove(handle);
	}

	int size() {
		return this.queue.size();
	}

	private static long window(EngineHandle handle) {
		return handle.autoExtend ? handle.renewIntervalNanos() / 2 : 0;
	}

	private void wakeAt(long atNanos) {
		long current;
		do {
			current = this.scheduledFor.get();
			if (current <= atNanos) {
				return;
			}
		}
		while (!this.scheduledFor.compareAndSet(current, atNanos));
		if (!this.background || this.executor.isShutdown()) {
			return;
		}
		long delay = Math.max(0, atNanos - this.clock.nanoTime());
		this.executor.schedule(() -> scheduledRun(atNanos), delay, TimeUnit.NANOSECONDS);
	}

	/**
	 * Runs if this task is still the pending one. A task superseded by an earlier one (which ran, or will run
	 * first) is stale and does nothing: otherwise every run would leave one more stray run behind, and runs
	 * would multiply into many small renewal calls.
	 */
	private void scheduledRun(long atNanos) {
		if (!this.scheduledFor.compareAndSet(atNanos, Long.MAX_VALUE)) {
			return;
		}
		try {
			runDue();
		}
		catch (RuntimeException ex) {
			logger.error("Renewal run failed", ex);
		}
	}

	/**
	 * Renews the handles that are due and declares lost those past their deadline, then schedules the
	 * next run. Called by the scheduler thread; tests with a manual clock call it directly.
	 */
	void runDue() {
		if (!this.running.tryLock()) {
			return;
		}
		try {
			long now = this.clock.nanoTime();
			List<EngineHandle> toRenew = new ArrayList<>();
			long horizon = now + this.maxWindowNanos;
			for (Iterator<EngineHandle> it = this.queue.iterator(); it.hasNext();) {
				EngineHandle handle = it.next();
				if (handle.dueNanos > horizon) {
					break;
				}
				if (!handle.isHeld()) {
					it.remove();
					continue;
				}
				if (handle.dueNanos - now > window(handle)) {
					continue;
				}
				it.remove();
				if (now >= handle.deadlineNanos()) {
					this.engine.lost(handle, true, handle.autoExtend ? "its local deadline passed before it could be renewed"
							: "its TTL ran out while it was still held");
				}
				else if (!handle.autoExtend) {
					handle.dueNanos = handle.deadlineNanos();
					requeue(handle);
				}
				else {
					toRenew.add(handle);
				}
			}
			if (!toRenew.isEmpty()) {
				renew(toRenew, now);
			}
		}
		finally {
			this.running.unlock();
			scheduleNext();
		}
	}

	private void renew(List<EngineHandle> handles, long now) {
		List<Renewal> renewals = new ArrayList<>(handles.size());
		for (EngineHandle handle : handles) {
			renewals.add(new Renewal(handle.ref, handle.ttl()));
		}
		long sentAt = this.clock.nanoTime();
		Set<LeaseRef> extended;
		try {
			extended = this.provider.renew(renewals);
		}
		catch (RuntimeException ex) {
			// one warning per outage, not one per retry (every 100 ms)
			if (!this.failing) {
				logger.warn("Renewal of {} lease(s) failed, retrying until their deadlines: {}", handles.size(),
						ex.toString());
			}
			this.failing = true;
			logger.debug("Renewal failure", ex);
			for (EngineHandle handle : handles) {
				this.engine.renewFailed(handle, ex);
				handle.dueNanos = Math.min(now + Math.min(RETRY_NANOS, handle.renewIntervalNanos()),
						handle.deadlineNanos());
				requeue(handle);
			}
			return;
		}
		if (this.failing) {
			logger.info("Renewals succeed again ({} lease(s) renewed)", extended.size());
			this.failing = false;
		}
		for (EngineHandle handle : handles) {
			if (extended.contains(handle.ref)) {
				handle.renewed(sentAt);
				this.engine.renewedEvent(handle);
				handle.dueNanos = sentAt + handle.renewIntervalNanos();
				requeue(handle);
			}
			else {
				this.engine.lost(handle, false, "a renewal found it gone from the backend");
			}
		}
	}

	private void requeue(EngineHandle handle) {
		if (handle.isHeld()) {
			this.queue.add(handle);
		}
	}

	private void scheduleNext() {
		if (this.queue.isEmpty()) {
			return;
		}
		try {
			EngineHandle first = this.queue.first();
			// Wake when the earliest handle is due (not earlier): the run then also takes every handle due
			// within the window after it, so handles acquired close together are renewed in one call.
			wakeAt(first.dueNanos);
		}
		catch (java.util.NoSuchElementException ex) {
			// emptied concurrently
		}
	}

	void shutdown() {
		this.executor.shutdownNow();
	}

}
