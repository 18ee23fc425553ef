package dev.locksmith.engine;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.tck.CountingLockProvider;
import dev.locksmith.testsupport.ManualClock;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The renewal scheduler's own wake-ups, on manual time: the same scenario as {@link RenewalSchedulingTests}
 * (40 leases acquired 10 ms apart, then one second of renewals), but every wake-up the scheduler asks for is
 * run by the test when the manual clock reaches it, in order. So a stray (superseded) scheduled run, which
 * the real-time test sees only when the machine's timing happens to expose it, is seen on every run: the
 * outcome depends on the engine's code alone.
 *
 * <p>The engine is built with background renewal on; its scheduler thread is replaced, through reflection
 * on the package-private {@link Renewer}, by {@link ManualScheduler} (no change to the engine's code).
 */
class ManualScheduledRenewalTests {

	private static final Duration TTL = Duration.ofMillis(300);

	/** Records the wake-ups the renewer schedules; the test runs each when the manual clock reaches it. */
	static final class ManualScheduler extends ScheduledThreadPoolExecutor {

		private record Task(long atNanos, long seq, Runnable run) {
		}

		private final ManualClock clock;

		private final PriorityQueue<Task> tasks = new PriorityQueue<>(
				(a, b) -> (a.atNanos != b.atNanos) ? Long.compare(a.atNanos, b.atNanos) : Long.compare(a.seq, b.seq));

		private long seq;

		int ran;

		ManualScheduler(ManualClock clock) {
			super(1);
			this.clock = clock;
		}

		@Override
		public synchronized ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
			this.tasks.add(new Task(this.clock.nanoTime() + unit.toNanos(delay), this.seq++, command));
			return null; // the renewer never uses the future
		}

		private synchronized Task next(long untilNanos) {
			Task first = this.tasks.peek();
			return (first != null && first.atNanos - untilNanos <= 0) ? this.tasks.poll() : null;
		}

		/** Advances the clock by {@code step}, running every wake-up due on the way at its own time. */
		void advance(Duration step) {
			long until = this.clock.nanoTime() + step.toNanos();
			for (Task task = next(until); task != null; task = next(until)) {
				long late = task.atNanos - this.clock.nanoTime();
				if (late > 0) {
					this.clock.advance(Duration.ofNanos(late));
				}
				this.ran++;
				task.run.run();
			}
			this.clock.advance(Duration.ofNanos(until - this.clock.nanoTime()));
		}

	}

	private static ManualScheduler installManualScheduler(LockEngine engine, ManualClock clock) throws Exception {
		Field renewerField = LockEngine.class.getDeclaredField("renewer");
		renewerField.setAccessible(true);
		Renewer renewer = (Renewer) renewerField.get(engine);
		Field executorField = Renewer.class.getDeclaredField("executor");
		executorField.setAccessible(true);
		((ScheduledThreadPoolExecutor) executorField.get(renewer)).shutdownNow();
		ManualScheduler scheduler = new ManualScheduler(clock);
		executorField.set(renewer, scheduler);
		// the scheduler thread hands batches to the renewal I/O thread: run them on the manual scheduler's
		// thread instead, so that a run's renewal has happened when advance() returns
		Field ioField = Renewer.class.getDeclaredField("io");
		ioField.setAccessible(true);
		((java.util.concurrent.ExecutorService) ioField.get(renewer)).shutdownNow();
		ioField.set(renewer, new InlineExecutorService());
		return scheduler;
	}

	@Test
	void staggeredAcquisitionsDoNotMultiplyRenewalRunsOnManualTime() throws Exception {
		ManualClock clock = new ManualClock();
		CountingLockProvider provider = new CountingLockProvider(new MemoryLockProvider(clock));
		try (LockEngine engine = Locksmith.builder(provider).clock(clock).backgroundRenewal(true).build()) {
			ManualScheduler scheduler = installManualScheduler(engine, clock);
			LockOptions options = LockOptions.ttl(TTL).withAutoExtend(true);
			List<LockHandle> handles = new ArrayList<>();
			// one acquisition every 10 ms over four renewal intervals: every scheduled run overlaps with new leases
			for (int i = 0; i < 40; i++) {
				handles.add(engine.acquire("k" + i, options));
				scheduler.advance(Duration.ofMillis(10));
			}
			int before = provider.renewCalls.get();
			int runsBefore = scheduler.ran;
			for (int i = 0; i < 100; i++) {
				scheduler.advance(Duration.ofMillis(10));
			}
			int calls = provider.renewCalls.get() - before;
			int runs = scheduler.ran - runsBefore;
			long intervals = Duration.ofSeconds(1).toNanos() / (TTL.toNanos() / 3);
			assertThat(handles).allMatch(LockHandle::isValid);
			System.out.printf("[renewal scheduling, manual time] %d renewal calls, %d scheduled runs in %d intervals%n",
					calls, runs, intervals);
			// one batched call per interval at the window's edge, plus one for the leases that straddle it
			assertThat(calls).as("renewal calls in %d intervals", intervals).isPositive()
				.isLessThanOrEqualTo((int) (2 * intervals));
			assertThat(runs).as("scheduled runs in %d intervals", intervals).isLessThanOrEqualTo((int) (4 * intervals));
			handles.forEach(LockHandle::release);
		}
	}


	/** Runs every task at once on the submitting thread. */
	private static final class InlineExecutorService extends java.util.concurrent.AbstractExecutorService {

		private volatile boolean shutdown;

		@Override
		public void execute(Runnable command) {
			command.run();
		}

		@Override
		public void shutdown() {
			this.shutdown = true;
		}

		@Override
		public List<Runnable> shutdownNow() {
			this.shutdown = true;
			return List.of();
		}

		@Override
		public boolean isShutdown() {
			return this.shutdown;
		}

		@Override
		public boolean isTerminated() {
			return this.shutdown;
		}

		@Override
		public boolean awaitTermination(long timeout, java.util.concurrent.TimeUnit unit) {
			return true;
		}

	}

}
