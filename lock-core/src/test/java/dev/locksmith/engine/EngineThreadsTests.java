package dev.locksmith.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.locksmith.LockEvent;
import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.testsupport.ManualClock;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The threads the engine runs user code on (callbacks and events, not renewals): bounded in number and
 * made by the {@link Locksmith.Builder#threadFactory thread factory} the application gives.
 */
class EngineThreadsTests {

	private final ManualClock clock = new ManualClock();

	private final MemoryLockProvider memory = new MemoryLockProvider(this.clock);

	@Test
	void blockingOnLostCallbacksOfManyLeasesShareABoundedPool() throws Exception {
		int leases = 3 * LockEngine.LOST_CALLBACK_THREADS;
		CountDownLatch unblock = new CountDownLatch(1);
		CountDownLatch allRan = new CountDownLatch(leases);
		try (LockEngine service = Locksmith.builder(this.memory).clock(this.clock).backgroundRenewal(false).build()) {
			for (int i = 0; i < leases; i++) {
				LockHandle handle = service.acquire("k" + i, LockOptions.ttl(Duration.ofSeconds(1)));
				handle.onLost(() -> {
					try {
						unblock.await();
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
					allRan.countDown();
				});
			}
			try {
				this.clock.advance(Duration.ofSeconds(1));
				service.runDueRenewals(); // declares every lease lost and hands every callback to the pool
				assertThat(onLostThreads())
					.as("threads running onLost callbacks while %d callbacks block", leases)
					.isBetween(1L, (long) LockEngine.LOST_CALLBACK_THREADS);
			}
			finally {
				unblock.countDown();
			}
			assertThat(allRan.await(30, TimeUnit.SECONDS)).as("every lease's callback runs in the end").isTrue();
		}
	}

	@Test
	void callbacksAndEventsRunOnThreadsOfTheGivenFactory() throws Exception {
		Set<Thread> made = ConcurrentHashMap.newKeySet();
		List<Thread> ranOn = new ArrayList<>();
		CountDownLatch done = new CountDownLatch(2);
		try (LockEngine service = Locksmith.builder(this.memory).clock(this.clock).backgroundRenewal(false)
			.threadFactory((runnable) -> {
				Thread thread = new Thread(runnable);
				thread.setDaemon(true);
				made.add(thread);
				return thread;
			})
			.listener((event) -> {
				if (event.type() == LockEvent.Type.LOST) {
					synchronized (ranOn) {
						ranOn.add(Thread.currentThread());
					}
					done.countDown();
				}
			})
			.build()) {
			LockHandle handle = service.acquire("k", LockOptions.ttl(Duration.ofSeconds(1)));
			handle.onLost(() -> {
				synchronized (ranOn) {
					ranOn.add(Thread.currentThread());
				}
				done.countDown();
			});
			this.clock.advance(Duration.ofSeconds(1));
			service.runDueRenewals();
			assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
			synchronized (ranOn) {
				assertThat(ranOn).hasSize(2).allSatisfy((thread) -> assertThat(made).contains(thread));
				assertThat(ranOn).extracting(Thread::getName)
					.allSatisfy((name) -> assertThat(name).startsWith("locksmith-"));
			}
		}
	}

	private static long onLostThreads() {
		return Thread.getAllStackTraces().keySet().stream()
			.filter((thread) -> thread.isAlive() && thread.getName().startsWith("locksmith-on-lost"))
			.count();
	}

}
