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

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.locksmith.LockClock;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.spi.Renewal;

/**
 * The one renewal scheduler of an engine. It only schedules and batches: it keeps the leases' renewal
 * slots ordered by due time, and on each tick asks every lease due within half its renewal interval for
 * its renewal request, sends them all in ONE {@link LockProvider#renew} call, and hands each lease its
 * result. The leases ({@link HeldLease}) decide everything else. With background renewal on, a scheduler
 * daemon thread sleeps until the earliest slot is due and hands each batch to a second daemon thread, the
 * only one that calls the provider; the scheduler never waits for it, so deadline checks (the slots of
 * leases with a request in flight) run even while a renewal call hangs. One batch is out at a time: due
 * renewals wait for it. With background renewal off, the caller drives {@link #runDue()}.
 */
final class Renewer {

	private static final Logger logger = LoggerFactory.getLogger(Renewer.class);

	/** Retry delay after a renewal that could not reach the backend (bounded by the deadline). */
	static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

	/**
	 * One lease's place in the queue. {@code seq} is unique per slot, so two slots due at the same time
	 * never collide in the ordered set.
	 */
	record Slot(long dueNanos, long windowNanos, long seq, HeldLease lease) {
	}

	private final LockProvider provider;

	private final LockClock clock;

	private final ConcurrentSkipListSet<Slot> queue = new ConcurrentSkipListSet<>(
			Comparator.comparingLong(Slot::dueNanos).thenComparingLong(Slot::seq));

	private final AtomicLong slotSequence = new AtomicLong();

	private final @Nullable ScheduledThreadPoolExecutor executor;

	/** The one thread that sends renewal batches (background renewal only); the scheduler never waits for I/O. */
	private final java.util.concurrent.@Nullable ExecutorService io;

	private final ReentrantLock running = new ReentrantLock();

	/** When the pending scheduled run fires (monotonic nanos), or MAX_VALUE when none is pending. */
	private final AtomicLong scheduledFor = new AtomicLong(Long.MAX_VALUE);

	/**
	 * Announcements (events, onLost callbacks) raised during the current run, handed to the callback
	 * executor only when the run's renewals are all answered: a callback that releases or extends another
	 * lease of the same run would otherwise wait for a renewal that this very run has yet to send (a
	 * deadlock with a direct executor). Only touched by the thread holding {@link #running}.
	 */
	private final List<Runnable> deferred = new ArrayList<>();

	/** Whether the last renewal call failed (only touched by runs, which hold {@link #running}). */
	private boolean failing;

	/** Whether a renewal batch is out (sent, not yet answered). Guarded by {@link #running}. */
	private boolean batchOut;

	/** Renewals asked for while a batch was out; the thread that answers it sends them. Guarded by {@link #running}. */
	private final List<HeldLease.RenewalTicket> waiting = new ArrayList<>();

	/** The largest coalescing window of any slot added so far. */
	private volatile long maxWindowNanos;

	/** Runs an announcement deferred to the end of a run (the announcement hands its work to an executor). */
	private final java.util.function.Consumer<Runnable> announcer;

	Renewer(LockProvider provider, LockClock clock, boolean background, java.util.function.Consumer<Runnable> announcer) {
		this.provider = provider;
		this.clock = clock;
		this.announcer = announcer;
		if (background) {
			ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, (runnable) -> {
				Thread thread = new Thread(runnable, "locksmith-renewal");
				thread.setDaemon(true);
				return thread;
			});
			scheduler.setRemoveOnCancelPolicy(true);
			this.executor = scheduler;
			this.io = java.util.concurrent.Executors.newSingleThreadExecutor((runnable) -> {
				Thread thread = new Thread(runnable, "locksmith-renewal-io");
				thread.setDaemon(true);
				return thread;
			});
		}
		else {
			this.executor = null;
			this.io = null;
		}
	}

	/** Adds a slot for {@code lease}; the lease keeps it and unschedules it when it moves on. */
	Slot schedule(HeldLease lease, long dueNanos, long windowNanos) {
		Slot slot = new Slot(dueNanos, windowNanos, this.slotSequence.incrementAndGet(), lease);
		if (windowNanos > this.maxWindowNanos) {
			this.maxWindowNanos = windowNanos;
		}
		this.queue.add(slot);
		wakeAt(dueNanos);
		return slot;
	}

	void unschedule(Slot slot) {
		this.queue.remove(slot);
	}

	int size() {
		return this.queue.size();
	}

	private void wakeAt(long atNanos) {
		if (this.executor == null) {
			return;
		}
		long current;
		do {
			current = this.scheduledFor.get();
			if (current <= atNanos) {
				return;
			}
		}
		while (!this.scheduledFor.compareAndSet(current, atNanos));
		if (this.executor.isShutdown()) {
			return;
		}
		long delay = Math.max(0, atNanos - this.clock.nanoTime());
		try {
			this.executor.schedule(() -> scheduledRun(atNanos), delay, TimeUnit.NANOSECONDS);
		}
		catch (java.util.concurrent.RejectedExecutionException ex) {
			// shut down concurrently
		}
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
			runDue(true);
		}
		catch (RuntimeException ex) {
			logger.error("Renewal run failed", ex);
		}
	}

	/**
	 * Hands every due slot to its lease (which renews, re-checks or declares itself lost at its local
	 * deadline), then sends the renewals asked for in one call unless a batch is already out: then they wait
	 * for it, and the thread that answers it sends them. The scan never waits for provider I/O, so a renewal
	 * call that hangs does not stop any lease from being declared lost at its deadline. With background
	 * renewal the scheduler thread hands the batch to the I/O thread; a caller of {@link #runDue()} sends it
	 * on its own thread.
	 */
	void runDue() {
		runDue(false);
	}

	private void runDue(boolean handOff) {
		List<HeldLease.RenewalTicket> batch = null;
		this.running.lock();
		try {
			long now = this.clock.nanoTime();
			long horizon = now + this.maxWindowNanos;
			for (Iterator<Slot> it = this.queue.iterator(); it.hasNext();) {
				Slot slot = it.next();
				if (slot.dueNanos() - horizon > 0) {
					break;
				}
				if (slot.dueNanos() - now > slot.windowNanos()) {
					continue;
				}
				it.remove();
				HeldLease.RenewalTicket ticket = slot.lease().due(slot, now);
				if (ticket != null) {
					this.waiting.add(ticket);
				}
			}
		}
		finally {
			endRun();
		}
		// Taken only now, after the scan's announcements: a callback run by them (with a direct executor)
		// that releases or extends a lease waiting here cancels its unsent renewal instead of waiting for it.
		this.running.lock();
		try {
			if (!this.batchOut) {
				batch = takeBatchLocked();
			}
		}
		finally {
			endRun();
		}
		if (batch == null) {
			return;
		}
		if (!handOff || this.io == null) {
			sendAll(batch);
			return;
		}
		List<HeldLease.RenewalTicket> first = batch;
		try {
			this.io.execute(() -> {
				try {
					sendAll(first);
				}
				catch (RuntimeException ex) {
					logger.error("Renewal run failed", ex);
				}
			});
		}
		catch (java.util.concurrent.RejectedExecutionException ex) {
			// shut down concurrently: the leases stay in flight until their deadlines, as after a hang
		}
	}

	/**
	 * Sends {@code batch} and applies its answers, then the batch that waited for it, until none waits.
	 * Holds {@link #running} only while applying answers and taking the next batch, never during I/O.
	 */
	private void sendAll(List<HeldLease.RenewalTicket> batch) {
		Error error = null;
		List<HeldLease.RenewalTicket> next = batch;
		while (next != null) {
			List<Renewal> renewals = new ArrayList<>(next.size());
			for (HeldLease.RenewalTicket ticket : next) {
				renewals.add(new Renewal(ticket.ref(), ticket.ttl()));
			}
			long sentAt = this.clock.nanoTime();
			Set<LeaseRef> extended = null;
			Throwable failure = null;
			try {
				extended = this.provider.renew(renewals);
			}
			catch (RuntimeException | Error ex) {
				failure = ex;
				if (ex instanceof Error thrown && error == null) {
					error = thrown;
				}
			}
			try {
				this.running.lock();
				try {
					answer(next, sentAt, extended, failure);
				}
				finally {
					endRun();
				}
			}
			finally {
				// whatever happened, the batch is answered: send the one that waited, or mark none out
				this.running.lock();
				try {
					next = takeBatchLocked();
				}
				finally {
					endRun();
				}
			}
		}
		if (error != null) {
			throw error;
		}
	}

	/**
	 * Takes the waiting renewals still worth sending as the next batch (marking it out), or returns null and
	 * marks no batch out. Called with {@link #running} held.
	 */
	private @Nullable List<HeldLease.RenewalTicket> takeBatchLocked() {
		List<HeldLease.RenewalTicket> batch = new ArrayList<>(this.waiting.size());
		for (HeldLease.RenewalTicket ticket : this.waiting) {
			if (ticket.lease().stillToSend(ticket, this.clock.nanoTime())) {
				batch.add(ticket);
			}
		}
		this.waiting.clear();
		this.batchOut = !batch.isEmpty();
		return this.batchOut ? batch : null;
	}

	/** Releases {@link #running}, schedules the next run and hands out the announcements deferred meanwhile. */
	private void endRun() {
		List<Runnable> announcements = List.copyOf(this.deferred);
		this.deferred.clear();
		this.running.unlock();
		scheduleNext();
		announcements.forEach(this.announcer);
	}

	/**
	 * Defers {@code task} to the end of the current run if the calling thread is running one; returns
	 * whether it did.
	 */
	boolean deferIfRunning(Runnable task) {
		if (!this.running.isHeldByCurrentThread()) {
			return false;
		}
		this.deferred.add(task);
		return true;
	}

	/** Hands each lease of a sent batch its result. Called with {@link #running} held. */
	private void answer(List<HeldLease.RenewalTicket> tickets, long sentAt, @Nullable Set<LeaseRef> extended,
			@Nullable Throwable failure) {
		if (failure != null) {
			// one warning per outage, not one per retry (every 100 ms)
			if (!this.failing) {
				logger.warn("Renewal of {} lease(s) failed, retrying until their deadlines: {}", tickets.size(),
						failure.toString());
			}
			this.failing = true;
			logger.debug("Renewal failure", failure);
			long now = this.clock.nanoTime();
			for (HeldLease.RenewalTicket ticket : tickets) {
				ticket.lease().renewalFailed(ticket, now, RETRY_NANOS, failure);
			}
			return;
		}
		if (this.failing) {
			logger.info("Renewals succeed again ({} lease(s) renewed)", extended.size());
			this.failing = false;
		}
		for (HeldLease.RenewalTicket ticket : tickets) {
			ticket.lease().renewalAnswered(ticket, sentAt, extended.contains(ticket.ref()));
		}
	}

	private void scheduleNext() {
		try {
			Slot first = this.queue.first();
			// Wake when the earliest slot is due (not earlier): the run then also takes every slot due
			// within the window after it, so leases acquired close together are renewed in one call.
			wakeAt(first.dueNanos());
		}
		catch (java.util.NoSuchElementException ex) {
			// empty
		}
	}

	void shutdown() {
		if (this.executor != null) {
			this.executor.shutdownNow();
			this.io.shutdownNow();
		}
	}

}
