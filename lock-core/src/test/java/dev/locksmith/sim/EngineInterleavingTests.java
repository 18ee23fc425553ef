package dev.locksmith.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.pastalab.fray.junit.junit5.FrayTestExtension;
import org.pastalab.fray.junit.junit5.annotations.FrayTest;

import dev.locksmith.LockOptions;

/**
 * Controlled concurrency: Fray explores the interleavings of real threads calling the engine (acquire,
 * release, extend, close, interrupt) while a "renewal thread" moves time and runs due renewals, and every
 * iteration checks {@link LeaseInvariants} (1 and 2 after each tick, concurrently; all of them at the end)
 * plus the missed wake-up check of {@link ThreadedWorld}. Each iteration is one schedule; a failing schedule
 * is saved by Fray and can be replayed. Runs only under the Fray agent:
 * {@code lock-core/src/test/fray/run-fray.sh} (profile {@code fray}, JDK 25).
 */
@Tag("fray")
@ExtendWith(FrayTestExtension.class)
class EngineInterleavingTests {

	/** Schedules explored per test in CI (each iteration is one schedule). */
	static final int ITERATIONS = 100;

	private static final LockOptions DEFAULT_AUTO = LockOptions.defaults()
		.withTtl(Duration.ofSeconds(30))
		.withAutoExtend(true)
		.withWaitTime(Duration.ZERO);

	private static void assertNoViolation(ThreadedWorld world) {
		world.checkAll("end of schedule");
		if (!world.violations().isEmpty()) {
			throw new AssertionError(String.join("\n", world.violations()));
		}
	}

	private static void runAll(Runnable... actions) throws InterruptedException {
		List<Thread> threads = new ArrayList<>();
		for (Runnable action : actions) {
			threads.add(new Thread(action));
		}
		threads.forEach(Thread::start);
		for (Thread thread : threads) {
			thread.join();
		}
	}

	/** Shortening extend and release race renewal ticks and another client's acquisition. */
	@FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
	void extendReleaseRaceRenewalsAndAContender() throws InterruptedException {
		ThreadedWorld world = new ThreadedWorld(2, "k");
		TrackedHandle held = world.acquire(0, "k", DEFAULT_AUTO);
		runAll(() -> {
			world.extend(held, Duration.ofMillis(300));
			world.release(held);
		}, () -> {
			for (int i = 0; i < 8; i++) {
				world.tick(50_000_000L);
			}
		}, () -> {
			TrackedHandle other = world.acquire(1, "k", LockOptions.ttl(Duration.ofSeconds(1)).withAutoExtend(true)
				.withWaitTime(Duration.ZERO));
			if (other != null) {
				world.release(other);
			}
		});
		assertNoViolation(world);
	}

	/** Release, loss at the local deadline and close race each other. */
	@FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
	void releaseLossAndCloseRace() throws InterruptedException {
		ThreadedWorld world = new ThreadedWorld(2, "k1", "k2");
		TrackedHandle shortLived = world.acquire(0, "k1",
				LockOptions.ttl(Duration.ofMillis(300)).withAutoExtend(false).withWaitTime(Duration.ZERO));
		TrackedHandle renewed = world.acquire(0, "k2", DEFAULT_AUTO);
		runAll(() -> world.release(shortLived), () -> {
			for (int i = 0; i < 4; i++) {
				world.tick(100_000_000L);
			}
		}, () -> world.close(0), () -> {
			TrackedHandle other = world.acquire(1, "k2", DEFAULT_AUTO);
			if (other != null) {
				world.release(other);
			}
		});
		if (renewed.handle.isValid()) {
			throw new AssertionError("a handle of a closed engine is still valid: " + renewed);
		}
		assertNoViolation(world);
	}

	/** A waiter must be woken by a release, also while it is being interrupted. */
	@FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
	void waiterIsWokenByARelease() throws InterruptedException {
		ThreadedWorld world = new ThreadedWorld(2, "k");
		TrackedHandle held = world.acquire(0, "k", DEFAULT_AUTO);
		TrackedHandle[] got = new TrackedHandle[1];
		Thread waiter = new Thread(() -> got[0] = world.acquire(1, "k", DEFAULT_AUTO.withWaitTime(Duration.ofSeconds(2))));
		waiter.start();
		runAll(() -> world.release(held), () -> world.tick(10_000_000L));
		waiter.join();
		if (got[0] == null) {
			throw new AssertionError("the waiter did not get 'k' after its only holder released it: "
					+ String.join("\n", world.violations()));
		}
		world.release(got[0]);
		assertNoViolation(world);
	}

	/** An interrupted waiter gives up without leaving a lease behind, whatever the interleaving. */
	@FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
	void interruptedWaiterLeavesNothingBehind() throws InterruptedException {
		ThreadedWorld world = new ThreadedWorld(2, "k");
		TrackedHandle held = world.acquire(0, "k", DEFAULT_AUTO);
		TrackedHandle[] got = new TrackedHandle[1];
		Thread waiter = new Thread(() -> got[0] = world.acquire(1, "k", DEFAULT_AUTO.withWaitTime(Duration.ofSeconds(2))));
		waiter.start();
		runAll(waiter::interrupt, () -> world.release(held));
		waiter.join();
		if (got[0] != null) {
			world.release(got[0]);
		}
		assertNoViolation(world);
	}

	/**
	 * Two waiters, one of which gives up (interrupted) while the holder releases: the wake-up must reach the
	 * other one (a waiter that closes its subscription must not swallow the signal meant for the next).
	 */
	@FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
	void aWaiterThatGivesUpDoesNotSwallowTheOthersWakeUp() throws InterruptedException {
		ThreadedWorld world = new ThreadedWorld(3, "k");
		TrackedHandle held = world.acquire(0, "k", DEFAULT_AUTO);
		TrackedHandle[] got = new TrackedHandle[2];
		Thread first = new Thread(() -> {
			got[0] = world.acquire(1, "k", DEFAULT_AUTO.withWaitTime(Duration.ofSeconds(2)));
			if (got[0] != null) {
				world.release(got[0]);
			}
		});
		Thread second = new Thread(() -> {
			got[1] = world.acquire(2, "k", DEFAULT_AUTO.withWaitTime(Duration.ofSeconds(2)));
			if (got[1] != null) {
				world.release(got[1]);
			}
		});
		first.start();
		second.start();
		runAll(first::interrupt, () -> world.release(held));
		first.join();
		second.join();
		if (got[1] == null) {
			throw new AssertionError("the second waiter never got 'k' although it was released and the first waiter "
					+ (got[0] == null ? "gave up" : "released it") + ": " + String.join("\n", world.violations()));
		}
		assertNoViolation(world);
	}

}
