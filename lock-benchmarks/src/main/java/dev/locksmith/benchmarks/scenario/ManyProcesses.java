package dev.locksmith.benchmarks.scenario;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import dev.locksmith.benchmarks.contender.Contender;
import dev.locksmith.benchmarks.contender.Contender.Held;
import dev.locksmith.benchmarks.report.Results;

/**
 * S6: many processes on one key. Every waiting thread has its own contender instance (its own engine,
 * provider, clients and pools: its own process as far as the backend can tell) and loops on one shared
 * key with blocking acquisition and a plain counter as the critical section. Records sections per second,
 * acquire attempts per grant (where the contender counts them), per-waiter fairness (the most sections
 * one waiter got over the fewest) and the 99th percentile of one blocking acquisition's wait.
 */
public final class ManyProcesses {

	/** Scenario id prefix; the table id is {@code S6 Np}. */
	public static final String SCENARIO = "S6";

	private static final int MAX_SAMPLES = 200_000;

	private final Results results;

	/**
	 * Creates the scenario.
	 * @param results where metrics go
	 */
	public ManyProcesses(Results results) {
		this.results = results;
	}

	/**
	 * Table id for a process count.
	 * @param processes the number of instances
	 * @return {@code S6 Np}
	 */
	public static String id(int processes) {
		return SCENARIO + " " + processes + "p";
	}

	/**
	 * Runs one repetition: a warm-up on its own key, then the measured run.
	 * @param name the contender's display name
	 * @param instances one contender instance per waiting process
	 * @param warmup warm-up duration
	 * @param measure measured duration
	 * @param rep repetition number
	 * @throws Exception if a contender fails
	 */
	public void run(String name, List<Contender> instances, Duration warmup, Duration measure, int rep)
			throws Exception {
		String key = "bench:s6:" + name.replaceAll("[^A-Za-z0-9]+", "-") + ":" + instances.size() + ":" + rep;
		contend(name, instances, key + ":w", warmup, rep, false);
		contend(name, instances, key, measure, rep, true);
	}

	private void contend(String name, List<Contender> instances, String key, Duration duration, int rep,
			boolean record) throws Exception {
		int n = instances.size();
		ExecutorService pool = Executors.newFixedThreadPool(n);
		long[] counter = new long[1];
		try {
			long attemptsBefore = attempts(instances);
			CountDownLatch ready = new CountDownLatch(n);
			CountDownLatch go = new CountDownLatch(1);
			AtomicLong deadline = new AtomicLong();
			List<Future<long[]>> futures = new ArrayList<>();
			for (Contender instance : instances) {
				futures.add(pool.submit(() -> {
					long[] waits = new long[MAX_SAMPLES + 2];
					ready.countDown();
					go.await();
					long end = deadline.get();
					int count = 0;
					long timeouts = 0;
					while (System.nanoTime() < end) {
						long t0 = System.nanoTime();
						Held held = instance.acquire(key, Scenarios.LONG_WAIT);
						long waited = System.nanoTime() - t0;
						if (held == null) {
							timeouts++;
							continue;
						}
						try {
							long read = counter[0];
							Thread.onSpinWait();
							counter[0] = read + 1;
						}
						finally {
							held.release();
						}
						if (count < MAX_SAMPLES) {
							waits[count + 2] = waited;
						}
						count++;
					}
					waits[0] = count;
					waits[1] = timeouts;
					return waits;
				}));
			}
			ready.await();
			long start = System.nanoTime();
			deadline.set(start + duration.toNanos());
			go.countDown();
			long sections = 0;
			long timeouts = 0;
			long most = 0;
			long fewest = Long.MAX_VALUE;
			List<long[]> perWaiter = new ArrayList<>();
			for (Future<long[]> future : futures) {
				long[] result = future.get();
				sections += result[0];
				timeouts += result[1];
				most = Math.max(most, result[0]);
				fewest = Math.min(fewest, result[0]);
				perWaiter.add(result);
			}
			double seconds = (System.nanoTime() - start) / 1e9;
			long attempts = attempts(instances) - attemptsBefore;
			// Future.get() orders the waiters' writes before this read
			if (counter[0] != sections) {
				this.results.violation(name + " " + id(n) + " rep " + rep + ": counter " + counter[0] + " != "
						+ sections + " critical sections");
				this.results.note(id(n), name, "VIOLATION");
			}
			if (timeouts > 0) {
				this.results.note(id(n), name, timeouts + " acquire timeouts");
			}
			if (!record) {
				return;
			}
			this.results.add(id(n), "sections/s", name, rep, sections / seconds);
			if (attemptsBefore >= 0 && sections > 0) {
				this.results.add(id(n), "attempts/grant", name, rep, (double) attempts / sections);
			}
			this.results.add(id(n), "max/min per waiter", name, rep,
					(fewest > 0) ? (double) most / fewest : Double.POSITIVE_INFINITY);
			this.results.add(id(n), "fewest per waiter", name, rep, fewest);
			long[] all = new long[(int) Math.min(sections, (long) MAX_SAMPLES * n)];
			int filled = 0;
			for (long[] waiter : perWaiter) {
				int count = (int) Math.min(waiter[0], MAX_SAMPLES);
				System.arraycopy(waiter, 2, all, filled, count);
				filled += count;
			}
			Arrays.sort(all, 0, filled);
			this.results.add(id(n), "wait p50 ms", name, rep, Results.percentileMicros(all, filled, 50) / 1000.0);
			this.results.add(id(n), "wait p99 ms", name, rep, Results.percentileMicros(all, filled, 99) / 1000.0);
		}
		finally {
			pool.shutdownNow();
		}
	}

	private static long attempts(List<Contender> instances) {
		long sum = 0;
		for (Contender instance : instances) {
			long each = instance.acquireAttempts();
			if (each < 0) {
				return -1;
			}
			sum += each;
		}
		return sum;
	}

}
