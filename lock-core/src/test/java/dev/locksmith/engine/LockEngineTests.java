package dev.locksmith.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.Backoff;
import dev.locksmith.LockEvent;
import dev.locksmith.LockHandle;
import dev.locksmith.LockNotAcquiredException;
import dev.locksmith.LockOptions;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.LockStatistics;
import dev.locksmith.Locksmith;
import dev.locksmith.ReleaseOutcome;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.tck.CountingLockProvider;
import dev.locksmith.testsupport.ManualClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The engine's own rules — renewal timing, batching, loss on outage, retry bounds, events — driven by
 * a manual clock where time matters, so nothing here sleeps to let time pass.
 */
class LockEngineTests {

	private final ManualClock clock = new ManualClock();

	private final CountingLockProvider provider = new CountingLockProvider(new MemoryLockProvider(this.clock));

	private final List<LockEvent> events = new CopyOnWriteArrayList<>();

	private final LockEngine engine = Locksmith.builder(this.provider)
		.clock(this.clock)
		.ownerId("engine-test")
		.listener(this.events::add)
		.callbackExecutor(Runnable::run)
		.build();

	@AfterEach
	void close() {
		this.engine.close();
	}

	private static final Duration TTL = Duration.ofSeconds(30);

	private LockHandle acquireRenewed(String key) {
		return this.engine.acquire(key, LockOptions.ttl(TTL).withAutoExtend(true).withWaitTime(Duration.ZERO));
	}

	@Test
	void renewsAtAboutAThirdOfTheTtl() {
		LockHandle handle = acquireRenewed("k");
		this.clock.advance(Duration.ofSeconds(4));
		this.engine.runDueRenewals();
		assertThat(handle.renewals()).as("not due before ttl/3 minus the coalescing window").isZero();
		this.clock.advance(Duration.ofSeconds(6));
		this.engine.runDueRenewals();
		assertThat(handle.renewals()).isEqualTo(1);
		assertThat(handle.remaining()).isGreaterThan(Duration.ofSeconds(29));
		// the lease is alive for ten TTLs as long as renewals keep coming
		for (int i = 0; i < 30; i++) {
			this.clock.advance(Duration.ofSeconds(10));
			this.engine.runDueRenewals();
		}
		assertThat(handle.isValid()).isTrue();
		assertThat(this.engine.isLocked("k")).isTrue();
		assertThat(handle.renewals()).isEqualTo(31);
		assertThat(this.events).filteredOn((event) -> event.type() == LockEvent.Type.RENEWED).hasSize(31);
	}

	@Test
	void renewsManyLeasesInOneProviderCall() {
		List<LockHandle> handles = new ArrayList<>();
		for (int i = 0; i < 1000; i++) {
			handles.add(acquireRenewed("k" + i));
		}
		this.clock.advance(Duration.ofSeconds(10));
		this.engine.runDueRenewals();
		assertThat(this.provider.renewCalls.get()).isEqualTo(1);
		assertThat(handles).allSatisfy((handle) -> assertThat(handle.renewals()).isEqualTo(1));
		this.clock.advance(Duration.ofSeconds(10));
		this.engine.runDueRenewals();
		assertThat(this.provider.renewCalls.get()).isEqualTo(2);
	}

	@Test
	void stopsRenewingTheMomentAHandleIsReleased() {
		LockHandle handle = acquireRenewed("k");
		handle.release();
		this.clock.advance(Duration.ofSeconds(10));
		this.engine.runDueRenewals();
		assertThat(this.provider.renewCalls.get()).isZero();
	}

	@Test
	void anUnreachableBackendLosesTheLeaseAtItsLocalDeadlineNotBefore() {
		LockHandle handle = acquireRenewed("k");
		AtomicInteger lost = new AtomicInteger();
		handle.onLost(lost::incrementAndGet);
		this.provider.failWith("backend down");
		this.clock.advance(Duration.ofSeconds(10));
		this.engine.runDueRenewals();
		assertThat(handle.isValid()).as("still within its deadline").isTrue();
		this.clock.advance(Duration.ofSeconds(10));
		this.engine.runDueRenewals();
		assertThat(handle.isValid()).isTrue();
		assertThat(lost.get()).isZero();
		// the deadline is 30 s minus the drift allowance (1% + 2 ms) after the acquire request was sent
		this.clock.advance(Duration.ofMillis(29_697 - 20_000));
		this.engine.runDueRenewals();
		assertThat(handle.isValid()).isTrue();
		this.clock.advance(Duration.ofMillis(10));
		this.engine.runDueRenewals();
		assertThat(handle.isValid()).isFalse();
		assertThat(lost.get()).isEqualTo(1);
		LockStatistics statistics = this.engine.statistics();
		assertThat(statistics.renewFailed()).isGreaterThanOrEqualTo(2);
		assertThat(statistics.lost()).isEqualTo(1);
		assertThat(statistics.active()).isZero();
		assertThat(this.events).extracting(LockEvent::type).contains(LockEvent.Type.RENEW_FAILED, LockEvent.Type.LOST);
	}

	@Test
	void aRenewalAfterTheBackendRecoversKeepsTheLease() {
		LockHandle handle = acquireRenewed("k");
		this.provider.failWith("blip");
		this.clock.advance(Duration.ofSeconds(10));
		this.engine.runDueRenewals();
		this.provider.recover();
		this.clock.advance(Duration.ofSeconds(1));
		this.engine.runDueRenewals();
		assertThat(handle.renewals()).isEqualTo(1);
		assertThat(handle.remaining()).isGreaterThan(Duration.ofSeconds(29));
	}

	@Test
	void aFixedLeaseIsLostWhenItsTtlRunsOutWhileHeld() {
		LockHandle handle = this.engine.acquire("k", LockOptions.ttl(Duration.ofSeconds(10)));
		assertThat(handle.remaining()).isEqualTo(Duration.ofMillis(10_000 - 102));
		this.clock.advance(Duration.ofMillis(9_800));
		this.engine.runDueRenewals();
		assertThat(handle.isValid()).isTrue();
		assertThat(this.provider.renewCalls.get()).as("fixed leases are not renewed").isZero();
		this.clock.advance(Duration.ofMillis(200));
		this.engine.runDueRenewals();
		assertThat(handle.isValid()).isFalse();
		assertThat(handle.release()).isEqualTo(ReleaseOutcome.LOST);
	}

	@Test
	void extendSetsTheDeadlineFromWhenItWasSent() {
		LockHandle handle = this.engine.acquire("k", LockOptions.ttl(Duration.ofSeconds(10)));
		this.clock.advance(Duration.ofSeconds(5));
		handle.extend(Duration.ofSeconds(60));
		assertThat(handle.remaining()).isEqualTo(Duration.ofMillis(60_000 - 602));
		handle.extend(Duration.ofSeconds(1));
		assertThat(handle.remaining()).as("a shorter TTL shortens the deadline").isEqualTo(Duration.ofMillis(1_000 - 12));
	}

	@Test
	void eventsAndStatisticsDescribeWhatHappened() {
		LockHandle named = this.engine.acquire("user:1", LockOptions.defaults().withName("user"));
		assertThat(named.name()).isEqualTo("user");
		assertThat(java.util.concurrent.CompletableFuture.supplyAsync(() -> this.engine.tryAcquire("user:1")).join())
			.isEmpty();
		LockHandle unnamed = this.engine.acquire("other");
		assertThat(unnamed.name()).isEqualTo(LockEngine.DEFAULT_NAME);
		named.release();
		unnamed.release();
		assertThat(this.events).extracting(LockEvent::type)
			.containsExactly(LockEvent.Type.ACQUIRED, LockEvent.Type.FAILED, LockEvent.Type.ACQUIRED,
					LockEvent.Type.RELEASED, LockEvent.Type.RELEASED);
		assertThat(this.events.get(0).name()).isEqualTo("user");
		assertThat(this.events.get(0).provider()).isEqualTo("memory");
		LockStatistics statistics = this.engine.statistics();
		assertThat(statistics.acquired()).isEqualTo(2);
		assertThat(statistics.failed()).isEqualTo(1);
		assertThat(statistics.released()).isEqualTo(2);
		assertThat(statistics.active()).isZero();
	}

	@Test
	void aFailingListenerDoesNotBreakLocking() {
		try (LockEngine service = Locksmith.builder(new MemoryLockProvider()).listener((event) -> {
			throw new IllegalStateException("listener bug");
		}).build()) {
			assertThat(service.withLock("k", () -> "ok")).isEqualTo("ok");
			assertThat(service.isLocked("k")).isFalse();
		}
	}

	@Test
	void closeReleasesTheLeasesStillHeld() {
		MemoryLockProvider shared = new MemoryLockProvider();
		LockEngine first = Locksmith.builder(shared).build();
		first.acquire("k");
		first.close();
		try (LockEngine second = Locksmith.builder(shared).build()) {
			assertThat(second.isLocked("k")).isFalse();
		}
		assertThatThrownBy(() -> first.acquire("k")).isInstanceOf(IllegalStateException.class)
			.hasMessageContaining("closed");
	}

	@Test
	void ownerIdsAreGeneratedAndDistinct() {
		try (LockEngine one = Locksmith.builder(new MemoryLockProvider()).build();
				LockEngine two = Locksmith.builder(new MemoryLockProvider()).ownerId(" ").build()) {
			assertThat(one.ownerId()).isNotBlank().isNotEqualTo(two.ownerId());
		}
	}

	// --------------------------------------------------------------- waiting and retry (real time)

	@Test
	void anUnreachableBackendIsRetriedWithBackoffUpToMaxAttempts() {
		CountingLockProvider failing = new CountingLockProvider(new MemoryLockProvider());
		failing.failWith("connection refused");
		try (LockEngine service = Locksmith.builder(failing).build()) {
			Backoff backoff = Backoff.of(Duration.ofMillis(5), Duration.ofMillis(20), 2, 0.1, 3);
			assertThatThrownBy(() -> service.acquire("k",
					LockOptions.waitTime(Duration.ofSeconds(30)).withBackoff(backoff)))
				.isInstanceOf(LockProviderUnavailableException.class)
				.hasMessageContaining("connection refused");
			assertThat(failing.acquires.get()).isEqualTo(3);
			assertThat(service.statistics().failed()).isEqualTo(1);
		}
	}

	@Test
	void anUnreachableBackendFailsWhenTheWaitTimeRunsOut() {
		CountingLockProvider failing = new CountingLockProvider(new MemoryLockProvider());
		failing.failWith("connection refused");
		try (LockEngine service = Locksmith.builder(failing).build()) {
			assertThatThrownBy(() -> service.tryAcquire("k", LockOptions.waitTime(Duration.ofMillis(200))))
				.as("nothing fails open: try methods report an unreachable backend too")
				.isInstanceOf(LockProviderUnavailableException.class);
			assertThat(failing.acquires.get()).isBetween(2, 10);
		}
	}

	@Test
	void aWaiterSleepsInsteadOfPolling() {
		CountingLockProvider counting = new CountingLockProvider(new MemoryLockProvider());
		try (LockEngine holder = Locksmith.builder(counting).build();
				LockEngine waiter = Locksmith.builder(counting).build()) {
			holder.acquire("k", LockOptions.ttl(Duration.ofMinutes(1)));
			int before = counting.acquires.get();
			assertThatThrownBy(() -> waiter.acquire("k", LockOptions.waitTime(Duration.ofMillis(500))))
				.isInstanceOf(LockNotAcquiredException.class)
				.satisfies((ex) -> assertThat(((LockNotAcquiredException) ex).getWaited())
					.isGreaterThanOrEqualTo(Duration.ofMillis(500)));
			// first try, the retry right after subscribing, and the last try when the wait ran out
			assertThat(counting.acquires.get() - before).isEqualTo(3);
		}
	}

	@Test
	void anInterruptedWaiterGivesUpAndKeepsTheFlag() throws Exception {
		try (LockEngine service = Locksmith.builder(new MemoryLockProvider()).build()) {
			service.acquire("k");
			ExecutorService executor = Executors.newSingleThreadExecutor();
			try {
				CountDownLatch started = new CountDownLatch(1);
				Future<Boolean> waiter = executor.submit(() -> {
					started.countDown();
					try {
						service.acquire("k", LockOptions.waitTime(Duration.ofMinutes(1)));
						return false;
					}
					catch (LockNotAcquiredException ex) {
						return ex.getMessage().contains("Interrupted") && Thread.currentThread().isInterrupted();
					}
				});
				started.await();
				await().atMost(Duration.ofSeconds(10)).until(() -> {
					executor.shutdownNow();
					return waiter.isDone();
				});
				assertThat(waiter.get(10, TimeUnit.SECONDS)).isTrue();
			}
			finally {
				executor.shutdownNow();
			}
		}
	}

}
