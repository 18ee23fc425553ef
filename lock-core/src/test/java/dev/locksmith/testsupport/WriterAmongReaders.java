package dev.locksmith.testsupport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.MutexService;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A writer among a steady, overlapping stream of readers on one read-write lock, each reader its own lock
 * service (its own "process"): a reader holds its read lock until another reader holds one too (at least
 * {@link #MIN_HOLD}, at most {@link #MAX_HOLD}), so while new readers keep being granted the key is never
 * free. A writer that only gets a free key therefore waits forever; a writer that holds new readers back
 * once it waits is granted as soon as the readers inside have left, within {@link #MAX_HOLD} plus a
 * hand-off. Asserts with real threads that no reader overlaps the writer, that every read token is above
 * the write token granted before it and the write token above every read token before it, and that the
 * readers are granted again after the writer.
 */
public final class WriterAmongReaders {

	/** The shortest read hold. */
	public static final Duration MIN_HOLD = Duration.ofMillis(20);

	/** The longest read hold: a reader that sees no other reader arrive leaves after this. */
	public static final Duration MAX_HOLD = Duration.ofMillis(500);

	private WriterAmongReaders() {
	}

	/**
	 * Runs the stream and the writer.
	 * @param readerServices one lock service per reader thread
	 * @param writerService the writer's lock service
	 * @param name the read-write lock's name
	 * @param writerWait the writer's wait time
	 * @return how long the writer waited for its grant
	 * @throws Exception if a thread fails
	 */
	public static Duration run(List<? extends MutexService> readerServices, MutexService writerService, String name,
			Duration writerWait) throws Exception {
		ReentrantLock monitor = new ReentrantLock();
		Condition changed = monitor.newCondition();
		AtomicInteger readersInside = new AtomicInteger();
		AtomicInteger writersInside = new AtomicInteger();
		AtomicInteger violations = new AtomicInteger();
		AtomicInteger readsAfterWrite = new AtomicInteger();
		AtomicLong lastWriteToken = new AtomicLong();
		AtomicLong highestReadToken = new AtomicLong();
		AtomicInteger tokenViolations = new AtomicInteger();
		AtomicInteger stop = new AtomicInteger();
		ExecutorService pool = Executors.newFixedThreadPool(readerServices.size());
		try {
			List<Future<?>> futures = new ArrayList<>();
			for (MutexService service : readerServices) {
				futures.add(pool.submit(() -> {
					while (stop.get() == 0) {
						Optional<LockHandle> handle = service.readWrite(name).tryRead(LockOptions.waitTime(Duration.ofSeconds(30)));
						if (handle.isEmpty()) {
							continue;
						}
						try (LockHandle held = handle.get()) {
							readersInside.incrementAndGet();
							if (writersInside.get() != 0) {
								violations.incrementAndGet();
							}
							if (held.fencingToken() <= lastWriteToken.get()) {
								tokenViolations.incrementAndGet();
							}
							highestReadToken.accumulateAndGet(held.fencingToken(), Math::max);
							if (lastWriteToken.get() != 0) {
								readsAfterWrite.incrementAndGet();
							}
							signal(monitor, changed);
							long start = System.nanoTime();
							monitor.lock();
							try {
								// leave only while another reader stays inside (decided under the monitor, so two
								// readers never both leave on seeing each other), or after MAX_HOLD
								while (stop.get() == 0) {
									long elapsed = System.nanoTime() - start;
									long left = (readersInside.get() >= 2) ? MIN_HOLD.toNanos() - elapsed
											: MAX_HOLD.toNanos() - elapsed;
									if (left <= 0) {
										break;
									}
									changed.awaitNanos(left);
								}
								readersInside.decrementAndGet();
							}
							finally {
								monitor.unlock();
							}
							signal(monitor, changed);
						}
					}
					return null;
				}));
			}
			// the stream is running: readers overlap
			monitor.lock();
			try {
				while (readersInside.get() < 2) {
					changed.await(10, TimeUnit.SECONDS);
				}
			}
			finally {
				monitor.unlock();
			}
			long start = System.nanoTime();
			Optional<LockHandle> write = writerService.readWrite(name).tryWrite(LockOptions.waitTime(writerWait));
			long waited = System.nanoTime() - start;
			assertThat(write).as("the writer's grant among a stream of readers, within %s", writerWait).isPresent();
			try (LockHandle held = write.get()) {
				writersInside.incrementAndGet();
				if (readersInside.get() != 0) {
					violations.incrementAndGet();
				}
				if (held.fencingToken() <= highestReadToken.get()) {
					tokenViolations.incrementAndGet();
				}
				lastWriteToken.set(held.fencingToken());
				writersInside.decrementAndGet();
			}
			// readers waiting behind the writer are granted after it
			monitor.lock();
			try {
				long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
				while (readsAfterWrite.get() == 0 && System.nanoTime() < deadline) {
					changed.awaitNanos(deadline - System.nanoTime());
				}
			}
			finally {
				monitor.unlock();
			}
			assertThat(readsAfterWrite.get()).as("reads granted after the write").isPositive();
			stop.set(1);
			signal(monitor, changed);
			for (Future<?> future : futures) {
				future.get(60, TimeUnit.SECONDS);
			}
			assertThat(violations).as("sections where a reader overlapped the writer").hasValue(0);
			assertThat(tokenViolations).as("tokens not above the other side's earlier grant").hasValue(0);
			return Duration.ofNanos(waited);
		}
		finally {
			stop.set(1);
			signal(monitor, changed);
			pool.shutdownNow();
		}
	}

	private static void signal(ReentrantLock monitor, Condition changed) {
		monitor.lock();
		try {
			changed.signalAll();
		}
		finally {
			monitor.unlock();
		}
	}

}
