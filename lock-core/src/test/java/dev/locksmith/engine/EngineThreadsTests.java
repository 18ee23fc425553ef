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

	@Test
	void aLossSignalRunsWhileOnLostCallbacksBlockEveryThreadOfThePool() throws Exception {
		CountDownLatch unblock = new CountDownLatch(1);
		CountDownLatch entered = new CountDownLatch(LockEngine.LOST_CALLBACK_THREADS);
		try (LockEngine service = Locksmith.builder(this.memory).clock(this.clock).backgroundRenewal(false).build()) {
			for (int i = 0; i < 2 * LockEngine.LOST_CALLBACK_THREADS; i++) {
				service.acquire("blocker" + i, LockOptions.ttl(Duration.ofSeconds(1))).onLost(() -> {
					entered.countDown();
					try {
						unblock.await();
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
				});
			}
			LockHandle later = service.acquire("later", LockOptions.ttl(Duration.ofSeconds(2)));
			CountDownLatch signalled = new CountDownLatch(1);
			List<String> signalThreads = new ArrayList<>();
			LockEngine.onLostSignal(later, () -> {
				signalThreads.add(Thread.currentThread().getName());
				signalled.countDown();
			});
			try {
				this.clock.advance(Duration.ofSeconds(1));
				service.runDueRenewals();
				assertThat(entered.await(30, TimeUnit.SECONDS)).as("every thread of the onLost pool blocks").isTrue();
				this.clock.advance(Duration.ofSeconds(1));
				assertThat(later.isValid()).as("invalid at its local deadline, before anything ran").isFalse();
				service.runDueRenewals();
				// liveness, not timing: without the signal thread it waits for a blocked callback to return
				assertThat(signalled.await(10, TimeUnit.SECONDS)).as("the later lease's loss signal runs").isTrue();
				assertThat(signalThreads).singleElement().asString().startsWith("locksmith-lost-signals");
			}
			finally {
				unblock.countDown();
			}
		}
	}

	@Test
	void aLossStormWithEveryOnLostThreadBlockedKeepsThePoolBoundedAndRunsEveryCallbackInTheEnd() throws Exception {
		int leases = 20_000;
		CountDownLatch unblock = new CountDownLatch(1);
		CountDownLatch ran = new CountDownLatch(leases);
		try (LockEngine service = Locksmith.builder(this.memory).clock(this.clock).backgroundRenewal(false).build()) {
			List<LockHandle> handles = new ArrayList<>(leases);
			for (int i = 0; i < leases; i++) {
				LockHandle handle = service.acquire("storm" + i, LockOptions.ttl(Duration.ofSeconds(1)));
				handle.onLost(() -> {
					try {
						unblock.await();
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
					ran.countDown();
				});
				handles.add(handle);
			}
			try {
				this.clock.advance(Duration.ofSeconds(1));
				service.runDueRenewals();
				assertThat(handles).noneMatch(LockHandle::isValid);
				assertThat(service.heldLocks()).isEmpty();
				assertThat(onLostThreads()).isBetween(1L, (long) LockEngine.LOST_CALLBACK_THREADS);
			}
			finally {
				unblock.countDown();
			}
			assertThat(ran.await(60, TimeUnit.SECONDS)).as("every lost lease's callback runs once unblocked").isTrue();
		}
	}

	@Test
	void lossSignalsRunOnAPlatformThreadOfTheEngineWhateverTheThreadFactory() throws Exception {
		ThreadGroup group = new ThreadGroup("given");
		try (LockEngine service = Locksmith.builder(this.memory).clock(this.clock).backgroundRenewal(false)
			.threadFactory((runnable) -> new Thread(group, runnable))
			.build()) {
			LockHandle handle = service.acquire("k", LockOptions.ttl(Duration.ofSeconds(1)));
			java.util.concurrent.CompletableFuture<Thread> ranOn = new java.util.concurrent.CompletableFuture<>();
			LockEngine.onLostSignal(handle, () -> ranOn.complete(Thread.currentThread()));
			this.clock.advance(Duration.ofSeconds(1));
			service.runDueRenewals();
			Thread thread = ranOn.get(30, TimeUnit.SECONDS);
			// like the renewal thread: a virtual-thread factory's carriers, pinned by user code on JDK 21,
			// must not delay an interrupt
			assertThat(thread.getThreadGroup()).as("not made by the given factory").isNotSameAs(group);
			assertThat(thread.isDaemon()).isTrue();
			assertThat(thread.getName()).startsWith("locksmith-lost-signals");
		}
	}

	private static long onLostThreads() {
		return Thread.getAllStackTraces().keySet().stream()
			.filter((thread) -> thread.isAlive() && thread.getName().startsWith("locksmith-on-lost"))
			.count();
	}

}
