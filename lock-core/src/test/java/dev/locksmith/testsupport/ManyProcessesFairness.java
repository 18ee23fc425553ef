package dev.locksmith.testsupport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.MutexService;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many "processes" (one lock service each, over its own provider instance) on one key, one real thread each,
 * every thread taking the lock {@code rounds} times with blocking acquisition. Asserts, by counts not
 * timing: never two holders at once, every section counted, fencing tokens strictly increasing in grant
 * order, and no starvation: with a FIFO queue a waiter that releases and asks again has at most
 * {@code processes - 1} waiters ahead of it, so between two of its grants there are at most
 * {@code 2 × processes} grants (twice the queue length, for a turn missed on a slow machine).
 */
public final class ManyProcessesFairness {

	private ManyProcessesFairness() {
	}

	/**
	 * Runs the check.
	 * @param services one lock service per process
	 * @param key the shared key
	 * @param rounds grants each thread takes
	 * @throws Exception if a thread fails
	 */
	public static void check(List<? extends MutexService> services, String key, int rounds) throws Exception {
		int processes = services.size();
		ExecutorService pool = Executors.newFixedThreadPool(processes);
		List<Integer> order = new ArrayList<>(); // guarded by the lock under test
		List<Long> tokens = new ArrayList<>(); // guarded by the lock under test
		AtomicInteger inside = new AtomicInteger();
		AtomicInteger overlaps = new AtomicInteger();
		try {
			CountDownLatch go = new CountDownLatch(1);
			List<Future<?>> futures = new ArrayList<>();
			for (int i = 0; i < processes; i++) {
				int me = i;
				MutexService service = services.get(i);
				futures.add(pool.submit(() -> {
					go.await();
					for (int round = 0; round < rounds; round++) {
						Optional<LockHandle> handle = service.tryAcquire(key, LockOptions.waitTime(Duration.ofSeconds(60)));
						assertThat(handle).as("waiter %d round %d", me, round).isPresent();
						try (LockHandle held = handle.get()) {
							if (inside.incrementAndGet() != 1) {
								overlaps.incrementAndGet();
							}
							order.add(me);
							tokens.add(held.fencingToken());
							inside.decrementAndGet();
						}
					}
					return null;
				}));
			}
			go.countDown();
			for (Future<?> future : futures) {
				future.get(120, TimeUnit.SECONDS);
			}
		}
		finally {
			pool.shutdownNow();
		}
		assertThat(overlaps).as("sections that overlapped another").hasValue(0);
		assertThat(order).hasSize(processes * rounds);
		for (int i = 1; i < tokens.size(); i++) {
			assertThat(tokens.get(i)).as("token of grant %d", i).isGreaterThan(tokens.get(i - 1));
		}
		int bound = 2 * processes;
		int[] last = new int[processes];
		Arrays.fill(last, -1);
		for (int i = 0; i < order.size(); i++) {
			int who = order.get(i);
			if (last[who] >= 0) {
				assertThat(i - last[who]).as("grants between two grants of waiter %d at %d in %s", who, i, order)
					.isLessThanOrEqualTo(bound);
			}
			last[who] = i;
		}
	}

}
