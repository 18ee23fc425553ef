package dev.locksmith.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.provider.memory.MemoryLockProvider;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Thousands of virtual threads contending on a few keys: exclusion holds, waiters park instead of
 * spinning, and handles acquired on one virtual thread are released on another. Runs on JDK 21+ (the
 * build runs this class on the JDK 25 under /usr/lib/jvm when it exists); skipped on older JDKs.
 */
class VirtualThreadTests {

	private static ExecutorService virtualThreads() {
		try {
			return (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
		}
		catch (ReflectiveOperationException ex) {
			Assumptions.abort("virtual threads need JDK 21+, running on " + Runtime.version());
			throw new IllegalStateException(ex);
		}
	}

	private final int[] counters = new int[4];

	@Test
	void thousandsOfVirtualThreadsKeepMutualExclusion() throws Exception {
		ExecutorService executor = virtualThreads();
		try (LockEngine locks = Locksmith.builder(new MemoryLockProvider()).build()) {
			AtomicInteger[] inside = { new AtomicInteger(), new AtomicInteger(), new AtomicInteger(),
					new AtomicInteger() };
			AtomicInteger violations = new AtomicInteger();
			List<Future<?>> futures = new ArrayList<>();
			for (int t = 0; t < 1_000; t++) {
				int slot = t % 4;
				futures.add(executor.submit(() -> {
					locks.withLock("vt:" + slot, LockOptions.waitTime(Duration.ofMinutes(1)), () -> {
						if (inside[slot].incrementAndGet() != 1) {
							violations.incrementAndGet();
						}
						int read = this.counters[slot];
						LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
						this.counters[slot] = read + 1;
						inside[slot].decrementAndGet();
					});
					return null;
				}));
			}
			for (Future<?> future : futures) {
				future.get(2, TimeUnit.MINUTES);
			}
			assertThat(violations.get()).isZero();
			assertThat(this.counters).containsExactly(250, 250, 250, 250);
			assertThat(locks.activeLockCount()).isZero();
		}
		finally {
			executor.shutdownNow();
		}
	}

	@Test
	void aHandleAcquiredOnOneVirtualThreadIsReleasedOnAnother() throws Exception {
		ExecutorService executor = virtualThreads();
		try (LockEngine locks = Locksmith.builder(new MemoryLockProvider()).build()) {
			LockHandle handle = executor.submit(() -> locks.acquire("vt:handoff")).get(1, TimeUnit.MINUTES);
			assertThat(executor.submit(handle::release).get(1, TimeUnit.MINUTES)).hasToString("RELEASED");
			assertThat(locks.isLocked("vt:handoff")).isFalse();
		}
		finally {
			executor.shutdownNow();
		}
	}

}
