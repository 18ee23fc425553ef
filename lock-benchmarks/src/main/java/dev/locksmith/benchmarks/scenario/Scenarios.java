package dev.locksmith.benchmarks.scenario;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.locksmith.benchmarks.contender.Contender;
import dev.locksmith.benchmarks.contender.Contender.Held;
import dev.locksmith.benchmarks.report.Results;

/**
 * Scenarios S1–S4: each method runs one contender once (one repetition) and records its metrics.
 */
public final class Scenarios {

	/** Wait bound for blocking acquisition in S3 and S4; never reached by a working contender. */
	static final Duration LONG_WAIT = Duration.ofSeconds(30);

	private static final int MAX_SAMPLES = 200_000;

	private final Settings settings;

	private final Results results;

	/**
	 * Creates the scenarios.
	 * @param settings durations and counts
	 * @param results where metrics go
	 */
	public Scenarios(Settings settings, Results results) {
		this.settings = settings;
		this.results = results;
	}

	/**
	 * S1: one thread, a fresh key per operation; acquire (try once) + release latency and throughput.
	 * @param contender the contender
	 * @param rep repetition number
	 * @throws Exception if the contender fails
	 */
	public void s1(Contender contender, int rep) throws Exception {
		String prefix = "bench:s1:" + slug(contender) + ":" + rep + ":";
		runSingle(contender, prefix + "w:", this.settings.warmup(), null);
		long[] nanos = new long[MAX_SAMPLES];
		long start = System.nanoTime();
		int count = runSingle(contender, prefix, this.settings.measure(), nanos);
		double seconds = (System.nanoTime() - start) / 1e9;
		this.results.add("S1", "ops/s", contender.name(), rep, count / seconds);
		this.results.add("S1", "p50 µs", contender.name(), rep, Results.percentileMicros(nanos, count, 50));
		this.results.add("S1", "p99 µs", contender.name(), rep, Results.percentileMicros(nanos, count, 99));
	}

	private int runSingle(Contender contender, String prefix, Duration duration, long[] nanos) throws Exception {
		long deadline = System.nanoTime() + duration.toNanos();
		int count = 0;
		while (System.nanoTime() < deadline && count < MAX_SAMPLES) {
			long t0 = System.nanoTime();
			Held held = contender.acquire(prefix + count, Duration.ZERO);
			if (held == null) {
				throw new IllegalStateException(contender.name() + " did not acquire the fresh key " + prefix + count);
			}
			held.release();
			long t1 = System.nanoTime();
			if (nanos != null) {
				nanos[count] = t1 - t0;
			}
			count++;
		}
		return count;
	}

	/**
	 * S2: {@link Settings#s2Threads()} threads, each on its own fresh keys; total throughput.
	 * @param contender the contender
	 * @param rep repetition number
	 * @throws Exception if the contender fails
	 */
	public void s2(Contender contender, int rep) throws Exception {
		String prefix = "bench:s2:" + slug(contender) + ":" + rep + ":";
		runParallel(contender, prefix + "w:", this.settings.warmup());
		this.results.add("S2", "ops/s", contender.name(), rep, runParallel(contender, prefix, this.settings.measure()));
	}

	private double runParallel(Contender contender, String prefix, Duration duration) throws Exception {
		int threads = this.settings.s2Threads();
		ExecutorService pool = Executors.newFixedThreadPool(threads);
		try {
			CountDownLatch ready = new CountDownLatch(threads);
			CountDownLatch go = new CountDownLatch(1);
			AtomicLong[] deadline = { new AtomicLong() };
			List<Future<Integer>> futures = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				String threadPrefix = prefix + t + ":";
				futures.add(pool.submit(() -> {
					ready.countDown();
					go.await();
					long end = deadline[0].get();
					int ops = 0;
					while (System.nanoTime() < end) {
						Held held = contender.acquire(threadPrefix + ops, Duration.ZERO);
						if (held == null) {
							throw new IllegalStateException(contender.name() + " did not acquire a fresh key");
						}
						held.release();
						ops++;
					}
					return ops;
				}));
			}
			ready.await();
			long start = System.nanoTime();
			deadline[0].set(start + duration.toNanos());
			go.countDown();
			long total = 0;
			for (Future<Integer> future : futures) {
				total += future.get();
			}
			return total / ((System.nanoTime() - start) / 1e9);
		}
		finally {
			pool.shutdownNow();
		}
	}

	/**
	 * S3: {@code threads} threads contend for one key with blocking acquisition, alternately on two
	 * instances of the contender (two application nodes); the critical section does a read-then-write of
	 * an unsynchronised counter, which must equal the number of sections.
	 * @param contender the contender (must be able to wait)
	 * @param peer a second instance of the same contender, with its own clients
	 * @param threads number of threads
	 * @param rep repetition number
	 * @throws Exception if the contender fails
	 */
	public void s3(Contender contender, Contender peer, int threads, int rep) throws Exception {
		String key = "bench:s3:" + slug(contender) + ":" + threads + ":" + rep;
		contend(contender, peer, key + ":w", threads, this.settings.warmup(), rep, false);
		contend(contender, peer, key, threads, this.settings.measure(), rep, true);
	}

	private void contend(Contender contender, Contender peer, String key, int threads, Duration duration, int rep,
			boolean record) throws Exception {
		ExecutorService pool = Executors.newFixedThreadPool(threads);
		UnsafeCounter counter = new UnsafeCounter();
		try {
			CountDownLatch ready = new CountDownLatch(threads);
			CountDownLatch go = new CountDownLatch(1);
			AtomicLong deadline = new AtomicLong();
			List<Future<long[]>> futures = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				Contender node = ((t % 2) == 0) ? contender : peer;
				futures.add(pool.submit(() -> {
					ready.countDown();
					go.await();
					long end = deadline.get();
					long sections = 0;
					long timeouts = 0;
					while (System.nanoTime() < end) {
						Held held = node.acquire(key, LONG_WAIT);
						if (held == null) {
							timeouts++;
							continue;
						}
						try {
							counter.increment();
						}
						finally {
							held.release();
						}
						sections++;
					}
					return new long[] { sections, timeouts };
				}));
			}
			ready.await();
			long start = System.nanoTime();
			deadline.set(start + duration.toNanos());
			go.countDown();
			long sections = 0;
			long timeouts = 0;
			for (Future<long[]> future : futures) {
				long[] result = future.get();
				sections += result[0];
				timeouts += result[1];
			}
			double seconds = (System.nanoTime() - start) / 1e9;
			if (counter.value() != sections) {
				this.results.violation(contender.name() + " S3 " + threads + " threads rep " + rep + ": counter "
						+ counter.value() + " != " + sections + " critical sections");
				this.results.note("S3 " + threads + "t", contender.name(), "VIOLATION");
			}
			if (timeouts > 0) {
				this.results.note("S3 " + threads + "t", contender.name(), timeouts + " acquire timeouts");
			}
			if (record) {
				this.results.add("S3 " + threads + "t", "sections/s", contender.name(), rep, sections / seconds);
			}
		}
		finally {
			pool.shutdownNow();
		}
	}

	/**
	 * S4: hand-off latency. A holder on one instance (node) takes a fresh key, a waiter on the other
	 * instance blocks on it, the holder releases; the time from the release call returning to the waiter
	 * holding the lock is measured.
	 * @param contender the contender (must be able to wait); the waiter's node
	 * @param peer a second instance of the same contender; the holder's node
	 * @param rep repetition number
	 * @throws Exception if the contender fails
	 */
	public void s4(Contender contender, Contender peer, int rep) throws Exception {
		ExecutorService waiter = Executors.newSingleThreadExecutor();
		try {
			handoff(contender, peer, waiter, "bench:s4:" + slug(contender) + ":" + rep + ":w", 2);
			int n = this.settings.handoffs();
			long[] nanos = new long[n];
			long[] fromCall = new long[n];
			for (int i = 0; i < n; i++) {
				long[] sample = handoff(contender, peer, waiter, "bench:s4:" + slug(contender) + ":" + rep + ":" + i, 1);
				nanos[i] = sample[0];
				fromCall[i] = sample[1];
			}
			this.results.add("S4", "p50 µs", contender.name(), rep, Results.percentileMicros(nanos, n, 50));
			this.results.add("S4", "p99 µs", contender.name(), rep, Results.percentileMicros(nanos, n, 99));
			this.results.add("S4", "p50 µs from release call", contender.name(), rep,
					Results.percentileMicros(fromCall, n, 50));
		}
		finally {
			waiter.shutdownNow();
		}
	}

	/**
	 * Runs hand-offs; returns {from release returning, from release called} of the last one, in ns. A
	 * waiter that holds the lock before the release call has returned counts as 0 in the first figure.
	 */
	private long[] handoff(Contender contender, Contender peer, ExecutorService waiter, String key, int times)
			throws Exception {
		long[] nanos = new long[2];
		for (int i = 0; i < times; i++) {
			String k = key + ":" + i;
			Held holder = peer.acquire(k, Duration.ZERO);
			if (holder == null) {
				throw new IllegalStateException(contender.name() + " did not acquire the fresh key " + k);
			}
			CountDownLatch waiting = new CountDownLatch(1);
			Future<Long> acquiredAt = waiter.submit(() -> {
				waiting.countDown();
				Held held = contender.acquire(k, LONG_WAIT);
				long at = System.nanoTime();
				if (held == null) {
					throw new IllegalStateException(contender.name() + " waiter timed out on " + k);
				}
				held.release();
				return at;
			});
			waiting.await();
			// Give the waiter time to actually block in the backend wait before the release.
			Thread.sleep(this.settings.waiterParked().toMillis());
			long releaseCalledAt = System.nanoTime();
			holder.release();
			long releasedAt = System.nanoTime();
			long at = acquiredAt.get(LONG_WAIT.toSeconds() + 5, TimeUnit.SECONDS);
			nanos[0] = Math.max(0, at - releasedAt);
			nanos[1] = at - releaseCalledAt;
		}
		return nanos;
	}

	static String slug(Contender contender) {
		return contender.name().replaceAll("[^A-Za-z0-9]+", "-");
	}

	/** A counter with no synchronisation of its own: only the lock under test protects it. */
	private static final class UnsafeCounter {

		private long value;

		void increment() {
			long read = this.value;
			Thread.onSpinWait();
			this.value = read + 1;
		}

		long value() {
			return this.value;
		}

	}

}
