package dev.locksmith.provider.jdbc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.spi.ReleaseSubscription;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many threads run critical sections on one key straight against a provider: each does a read-yield-write
 * on an unsynchronised counter, so two holders at once would lose an update. Every exception (SQL errors
 * arrive as {@code LockProviderUnavailableException}) is collected and must not occur.
 */
final class Contention {

	private Contention() {
	}

	static void check(LockProvider provider, String label, int threads, int rounds) throws Exception {
		String key = "contention-" + UUID.randomUUID();
		AtomicInteger inside = new AtomicInteger();
		AtomicInteger overlaps = new AtomicInteger();
		AtomicInteger tokenRegressions = new AtomicInteger();
		int[] counter = { 0 };
		long[] lastToken = { 0 };
		ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
		CountDownLatch start = new CountDownLatch(1);
		ExecutorService pool = Executors.newFixedThreadPool(threads);
		List<Future<?>> futures = new ArrayList<>();
		for (int t = 0; t < threads; t++) {
			futures.add(pool.submit(() -> {
				start.await();
				for (int i = 0; i < rounds; i++) {
					try {
						LeaseRequest request = new LeaseRequest(key, LeaseType.WRITE, UUID.randomUUID().toString(),
								"contender", Duration.ofSeconds(30), 1, 1, Map.of());
						long token = acquireWaiting(provider, request);
						if (inside.incrementAndGet() != 1) {
							overlaps.incrementAndGet();
						}
						if (token <= lastToken[0]) {
							tokenRegressions.incrementAndGet();
						}
						lastToken[0] = token;
						int read = counter[0];
						Thread.yield();
						counter[0] = read + 1;
						inside.decrementAndGet();
						if (!provider.release(request.ref())) {
							errors.add(new AssertionError("release of a held lease returned false"));
						}
					}
					catch (RuntimeException ex) {
						errors.add(ex);
					}
				}
				return null;
			}));
		}
		long began = System.nanoTime();
		start.countDown();
		try {
			for (Future<?> future : futures) {
				future.get(10, TimeUnit.MINUTES);
			}
		}
		finally {
			pool.shutdownNow();
		}
		long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
		System.out.printf("[%s] contention: %d threads x %d critical sections on one key in %d ms, %d errors%n", label,
				threads, rounds, millis, errors.size());
		assertThat(errors).isEmpty();
		assertThat(overlaps.get()).isZero();
		assertThat(tokenRegressions.get()).isZero();
		assertThat(inside.get()).isZero();
		assertThat(counter[0]).isEqualTo(threads * rounds);
	}

	private static long acquireWaiting(LockProvider provider, LeaseRequest request) throws InterruptedException {
		while (true) {
			try (ReleaseSubscription subscription = provider.subscribe(request.key(), request.type())) {
				Grant grant = provider.acquire(request);
				if (grant.isGranted()) {
					return grant.fencingToken();
				}
				subscription.await(TimeUnit.MILLISECONDS.toNanos(50));
			}
		}
	}

}
