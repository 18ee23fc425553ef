package dev.locksmith.testsupport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.locksmith.DistributedReadWriteLock;
import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.MutexService;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Attacks a queueing provider with real threads over several lock services (one "process" each) on one
 * read-write lock: writers with wait times of a few milliseconds (so that giving up races the hand-off of
 * the key to them), try-once writers (never queued), patient writers, and readers (not queued). Asserts by
 * counts: a writer is never inside with anyone else, a reader never with a writer, writers' fencing
 * tokens strictly increase in grant order, handed-off grants included, every grant's token is above the
 * tokens of the writes (for a reader) or of all grants (for a writer) before it, a read nested in a read of
 * the same thread is granted at once (with a writer queued too) and overlaps no writer, and once every
 * thread is done no lease is left (a key handed to a waiter that gave up was released by its giving up).
 */
public final class FairQueueChaos {

	private FairQueueChaos() {
	}

	/**
	 * Runs the attack.
	 * @param services one lock service per process
	 * @param name the read-write lock's name
	 * @param threadsPerService threads on each service
	 * @param rounds acquisitions per thread
	 * @return how many writes were granted
	 * @throws Exception if a thread fails
	 */
	public static int run(List<? extends MutexService> services, String name, int threadsPerService, int rounds)
			throws Exception {
		ExecutorService pool = Executors.newFixedThreadPool(services.size() * threadsPerService);
		AtomicInteger writers = new AtomicInteger();
		AtomicInteger readers = new AtomicInteger();
		AtomicInteger violations = new AtomicInteger();
		AtomicInteger nestedDenied = new AtomicInteger();
		LockOptions noWait = LockOptions.waitTime(Duration.ZERO);
		List<Long> tokens = new ArrayList<>(); // guarded by the write lock under test
		AtomicLong lastWriteToken = new AtomicLong(); // the last write grant's token, set inside the write lock
		AtomicLong highestToken = new AtomicLong(); // the highest token of any grant so far, set inside it
		try {
			CountDownLatch go = new CountDownLatch(1);
			List<Future<?>> futures = new ArrayList<>();
			for (MutexService service : services) {
				DistributedReadWriteLock lock = service.readWrite(name);
				for (int t = 0; t < threadsPerService; t++) {
					futures.add(pool.submit(() -> {
						go.await();
						ThreadLocalRandom random = ThreadLocalRandom.current();
						for (int round = 0; round < rounds; round++) {
							int kind = random.nextInt(100);
							Duration wait = (kind % 5 == 0) ? Duration.ofSeconds(30) : Duration.ofMillis(random.nextInt(30));
							LockOptions options = LockOptions.waitTime(wait);
							if (kind < 70) {
								Optional<LockHandle> handle = lock.tryWrite(options);
								if (handle.isPresent()) {
									try (LockHandle held = handle.get()) {
										if (writers.incrementAndGet() != 1 || readers.get() != 0) {
											violations.incrementAndGet();
										}
										tokens.add(held.fencingToken());
										if (held.fencingToken() <= highestToken.get()) {
											violations.incrementAndGet(); // not above a read granted before it
										}
										lastWriteToken.set(held.fencingToken());
										highestToken.accumulateAndGet(held.fencingToken(), Math::max);
										Thread.onSpinWait();
										writers.decrementAndGet();
									}
								}
							}
							else {
								Optional<LockHandle> handle = lock.tryRead(options);
								if (handle.isPresent()) {
									try (LockHandle held = handle.get()) {
										readers.incrementAndGet();
										if (writers.get() != 0 || held.fencingToken() <= lastWriteToken.get()) {
											violations.incrementAndGet();
										}
										highestToken.accumulateAndGet(held.fencingToken(), Math::max);
										if (kind % 2 == 0) {
											// nested in this thread's read: granted at once, even with a writer queued
											Optional<LockHandle> nested = lock.tryRead(noWait);
											if (nested.isEmpty()) {
												nestedDenied.incrementAndGet();
											}
											else {
												try (LockHandle inner = nested.get()) {
													readers.incrementAndGet();
													if (writers.get() != 0
															|| inner.fencingToken() <= held.fencingToken()) {
														violations.incrementAndGet();
													}
													highestToken.accumulateAndGet(inner.fencingToken(), Math::max);
													readers.decrementAndGet();
												}
											}
										}
										readers.decrementAndGet();
									}
								}
							}
						}
						return null;
					}));
				}
			}
			go.countDown();
			for (Future<?> future : futures) {
				future.get(180, TimeUnit.SECONDS);
			}
		}
		finally {
			pool.shutdownNow();
		}
		assertThat(violations).as("sections that overlapped a writer or got a token below an earlier grant's")
			.hasValue(0);
		assertThat(nestedDenied).as("nested reads denied").hasValue(0);
		// every waiter that gave up took itself out of the queue and released a key handed to it meanwhile
		assertThat(services.get(0).inspect(name).leases()).as("leases left behind").isEmpty();
		for (int i = 1; i < tokens.size(); i++) {
			assertThat(tokens.get(i)).as("token of write grant %d", i).isGreaterThan(tokens.get(i - 1));
		}
		return tokens.size();
	}

}
