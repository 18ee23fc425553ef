package dev.locksmith.engine;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.locksmith.LockEvent;
import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.LockStatistics;
import dev.locksmith.Locksmith;
import dev.locksmith.ReleaseOutcome;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.tck.ForwardingLockProvider;
import dev.locksmith.testsupport.ManualClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Defects found by the adversarial review of the lease engine redesign (issue 12): each test failed on
 * the engine as merged (607f04e).
 */
class EngineReviewTests {

	private final ManualClock clock = new ManualClock();

	private final MemoryLockProvider memory = new MemoryLockProvider(this.clock);

	private final List<LockEvent> events = new CopyOnWriteArrayList<>();

	@Test
	void aBlockingOnLostCallbackDoesNotHoldUpTheOnLostOfAnotherLease() throws Exception {
		try (LockEngine service = Locksmith.builder(this.memory).clock(this.clock).backgroundRenewal(false).build()) {
			LockHandle first = service.acquire("first", LockOptions.ttl(Duration.ofSeconds(1)));
			LockHandle second = service.acquire("second", LockOptions.ttl(Duration.ofSeconds(2)));
			CountDownLatch firstEntered = new CountDownLatch(1);
			CountDownLatch unblock = new CountDownLatch(1);
			CountDownLatch secondLost = new CountDownLatch(1);
			first.onLost(() -> {
				firstEntered.countDown();
				try {
					unblock.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			});
			second.onLost(secondLost::countDown);
			try {
				this.clock.advance(Duration.ofSeconds(1));
				service.runDueRenewals();
				assertThat(firstEntered.await(30, TimeUnit.SECONDS)).isTrue();
				this.clock.advance(Duration.ofSeconds(1));
				service.runDueRenewals();
				assertThat(second.isValid()).isFalse();
				// liveness, not timing: without the fix it never runs until the first callback returns
				assertThat(secondLost.await(10, TimeUnit.SECONDS))
					.as("the second lease's onLost runs although the first lease's callback blocks")
					.isTrue();
			}
			finally {
				unblock.countDown();
			}
		}
	}

	@Test
	void anAutoExtendedLeaseWithTheShortestTtlKeepsItsLeaseWhileTheBackendAnswers() {
		try (LockEngine service = Locksmith.builder(this.memory).clock(this.clock).backgroundRenewal(false)
			.callbackExecutor(Runnable::run).build()) {
			LockHandle handle = service.acquire("short",
					LockOptions.ttl(LockOptions.MIN_TTL).withAutoExtend(true).withWaitTime(Duration.ZERO));
			for (int step = 0; step < 100; step++) {
				this.clock.advance(Duration.ofNanos(50_000));
				service.runDueRenewals();
				assertThat(handle.isValid()).as("valid at step %d (renewals %d)", step, handle.renewals()).isTrue();
				assertThat(this.memory.inspect("short").isLocked()).as("backend lease at step %d", step).isTrue();
			}
			handle.release();
		}
	}

	@Test
	void anAcquisitionRacingCloseReportsAcquiredBeforeReleased() {
		LockEngine[] service = new LockEngine[1];
		ForwardingLockProvider closing = new ForwardingLockProvider(this.memory) {
			@Override
			public Grant acquire(LeaseRequest request) {
				Grant grant = this.delegate.acquire(request);
				service[0].close(); // close() runs while the grant is on its way back
				return grant;
			}
		};
		service[0] = Locksmith.builder(closing).clock(this.clock).backgroundRenewal(false).listener(this.events::add)
			.build();
		assertThatThrownBy(() -> service[0].acquire("k")).isInstanceOf(IllegalStateException.class)
			.hasMessageContaining("closed");
		assertThat(this.memory.inspect("k").isLocked()).as("no orphan").isFalse();
		LockStatistics statistics = service[0].statistics();
		assertThat(statistics.released()).as("released never exceeds acquired").isLessThanOrEqualTo(statistics.acquired());
		List<LockEvent.Type> types = this.events.stream().map(LockEvent::type).toList();
		if (types.contains(LockEvent.Type.RELEASED)) {
			assertThat(types).containsSubsequence(LockEvent.Type.ACQUIRED, LockEvent.Type.RELEASED);
		}
	}

	@Test
	void aClosedServiceRefusesDetachedAcquisitions() {
		LockEngine service = Locksmith.builder(this.memory).clock(this.clock).backgroundRenewal(false).build();
		service.close();
		assertThatThrownBy(() -> service.acquireDetached("k", LockOptions.ttl(Duration.ofSeconds(30))))
			.isInstanceOf(IllegalStateException.class)
			.hasMessageContaining("closed");
		assertThat(this.memory.inspect("k").isLocked()).as("nothing reached the backend").isFalse();
	}

	/**
	 * Not fixed: the renewal run holds the only renewal thread during the provider call, and no other thread
	 * checks deadlines, so a renewal call that never returns (a backend without a socket timeout) keeps every
	 * lease of the engine from being declared lost at its local deadline (onLost never fires, OnLost.INTERRUPT
	 * never interrupts), and release()/close() wait uninterruptibly for the stuck renewal.
	 */
	@Test
	void aRenewalCallThatNeverReturnsDoesNotStopOtherLeasesFromBeingDeclaredLostAtTheirDeadline() throws Exception {
		CountDownLatch renewEntered = new CountDownLatch(1);
		CountDownLatch unblock = new CountDownLatch(1);
		ForwardingLockProvider stuck = new ForwardingLockProvider(this.memory) {
			@Override
			public java.util.Set<dev.locksmith.spi.LeaseRef> renew(List<dev.locksmith.spi.Renewal> renewals) {
				renewEntered.countDown();
				try {
					unblock.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				return this.delegate.renew(renewals);
			}
		};
		try (LockEngine service = Locksmith.builder(stuck).clock(this.clock).backgroundRenewal(false).build()) {
			service.acquire("renewed", LockOptions.ttl(Duration.ofSeconds(3)).withAutoExtend(true));
			LockHandle fixed = service.acquire("fixed", LockOptions.ttl(Duration.ofSeconds(5)));
			CountDownLatch fixedLost = new CountDownLatch(1);
			fixed.onLost(fixedLost::countDown);
			this.clock.advance(Duration.ofSeconds(1));
			Thread renewal = new Thread(service::runDueRenewals, "stuck-renewal");
			renewal.start();
			try {
				assertThat(renewEntered.await(30, TimeUnit.SECONDS)).isTrue();
				this.clock.advance(Duration.ofSeconds(10));
				service.runDueRenewals();
				assertThat(fixed.isValid()).isFalse();
				assertThat(fixedLost.await(10, TimeUnit.SECONDS)).as("onLost at the local deadline").isTrue();
			}
			finally {
				unblock.countDown();
				renewal.join(30_000);
			}
		}
	}

	/**
	 * A renewal that answers "extended" only after the lease was declared lost at its local deadline must
	 * not resurrect it (its local deadline would then exceed what the caller was told) nor fire onLost
	 * twice; and a release() during the stuck call returns LOST at the deadline instead of waiting for it.
	 */
	@Test
	void aRenewalReplyArrivingAfterTheDeadlineLossDoesNotResurrectTheLease() throws Exception {
		CountDownLatch renewEntered = new CountDownLatch(1);
		CountDownLatch unblock = new CountDownLatch(1);
		java.util.concurrent.atomic.AtomicInteger renewCalls = new java.util.concurrent.atomic.AtomicInteger();
		ForwardingLockProvider late = new ForwardingLockProvider(this.memory) {
			@Override
			public java.util.Set<dev.locksmith.spi.LeaseRef> renew(List<dev.locksmith.spi.Renewal> renewals) {
				if (renewCalls.incrementAndGet() == 1) {
					renewEntered.countDown();
					try {
						unblock.await();
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
				}
				this.delegate.renew(renewals);
				// the reply says every lease was extended (as a backend that applied the call would)
				java.util.Set<dev.locksmith.spi.LeaseRef> all = new java.util.HashSet<>();
				renewals.forEach((renewal) -> all.add(renewal.lease()));
				return all;
			}
		};
		List<LockEvent.Type> events = new CopyOnWriteArrayList<>();
		try (LockEngine service = Locksmith.builder(late).clock(this.clock).backgroundRenewal(false)
			.callbackExecutor(Runnable::run).listener((event) -> events.add(event.type())).build()) {
			LockHandle handle = service.acquire("k", LockOptions.ttl(Duration.ofSeconds(3)).withAutoExtend(true));
			java.util.concurrent.atomic.AtomicInteger lost = new java.util.concurrent.atomic.AtomicInteger();
			handle.onLost(lost::incrementAndGet);
			this.clock.advance(Duration.ofSeconds(1));
			Thread renewal = new Thread(service::runDueRenewals, "late-renewal");
			renewal.start();
			try {
				assertThat(renewEntered.await(30, TimeUnit.SECONDS)).isTrue();
				// past the local deadline (1 s + 2.968 s) but before the backend expiry: the backend still has it
				this.clock.advance(Duration.ofMillis(2_980));
				service.runDueRenewals();
				assertThat(lost).as("onLost at the local deadline, while the renewal is stuck").hasValue(1);
				assertThat(handle.isValid()).isFalse();
				assertThat(handle.release()).as("release during the stuck call").isEqualTo(ReleaseOutcome.LOST);
			}
			finally {
				unblock.countDown();
				renewal.join(30_000);
			}
			assertThat(renewal.isAlive()).isFalse();
			assertThat(handle.isValid()).as("not resurrected by the late reply").isFalse();
			assertThat(handle.remaining()).isEqualTo(Duration.ZERO);
			assertThat(handle.renewals()).isZero();
			for (int i = 0; i < 3; i++) {
				this.clock.advance(Duration.ofSeconds(1));
				service.runDueRenewals();
			}
			assertThat(renewCalls).as("no renewal after the loss").hasValue(1);
			assertThat(lost).as("onLost exactly once").hasValue(1);
			assertThat(events).containsOnlyOnce(LockEvent.Type.LOST).doesNotContain(LockEvent.Type.RENEWED);
			assertThat(handle.release()).isEqualTo(ReleaseOutcome.ALREADY_RELEASED);
		}
	}

	/**
	 * An exclusive waiter woken by a release whose next attempt gets no answer (the backend call fails) and
	 * whose wait time then ends must pass the wake-up on: otherwise the next exclusive waiter sleeps through
	 * the release until its retry hint (the blocking lease's expiry) or its wait time.
	 */
	@Test
	void aWokenWaiterWhoseNextAttemptFailsAndWhoGivesUpHandsTheWakeUpOn() throws Exception {
		java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> calls = new java.util.concurrent.ConcurrentHashMap<>();
		ForwardingLockProvider flaky = new ForwardingLockProvider(this.memory) {
			@Override
			public Grant acquire(LeaseRequest request) {
				String thread = Thread.currentThread().getName();
				int call = calls.computeIfAbsent(thread, (t) -> new java.util.concurrent.atomic.AtomicInteger())
					.incrementAndGet();
				if (thread.equals("first-waiter") && call == 3) {
					// the attempt after the wake-up: no answer, and the first waiter's wait time is over
					EngineReviewTests.this.clock.advance(Duration.ofSeconds(20));
					throw new dev.locksmith.LockProviderUnavailableException(request.key(), "reply timed out", null);
				}
				return this.delegate.acquire(request);
			}
		};
		try (LockEngine service = Locksmith.builder(flaky).clock(this.clock).backgroundRenewal(false).build()) {
			LockHandle holder = service.acquire("k", LockOptions.ttl(Duration.ofHours(1)));
			java.util.concurrent.CompletableFuture<LockHandle> second = new java.util.concurrent.CompletableFuture<>();
			Thread first = new Thread(() -> {
				try {
					service.acquire("k", LockOptions.ttl(Duration.ofMinutes(1)).withWaitTime(Duration.ofSeconds(10)));
				}
				catch (RuntimeException expected) {
					// gave up
				}
			}, "first-waiter");
			Thread next = new Thread(() -> {
				try {
					second.complete(service.acquire("k",
							LockOptions.ttl(Duration.ofMinutes(1)).withWaitTime(Duration.ofMinutes(2))));
				}
				catch (RuntimeException ex) {
					second.completeExceptionally(ex);
				}
			}, "second-waiter");
			first.start();
			org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
				.until(() -> calls.containsKey("first-waiter") && calls.get("first-waiter").get() >= 2);
			next.start();
			org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
				.until(() -> calls.containsKey("second-waiter") && calls.get("second-waiter").get() >= 2);
			holder.release();
			first.join(30_000);
			assertThat(second.get(20, TimeUnit.SECONDS).isValid()).as("the next waiter got the free key").isTrue();
			next.join(30_000);
		}
	}

	@Test
	void anOnLostCallbackThrowingAnErrorDoesNotStopTheOtherCallbacksOrOtherLeases() {
		try (LockEngine service = Locksmith.builder(this.memory).clock(this.clock).backgroundRenewal(false)
			.callbackExecutor(Runnable::run).build()) {
			LockHandle first = service.acquire("first", LockOptions.ttl(Duration.ofSeconds(1)));
			LockHandle second = service.acquire("second", LockOptions.ttl(Duration.ofSeconds(1)));
			List<String> ran = new CopyOnWriteArrayList<>();
			first.onLost(() -> {
				throw new AssertionError("a callback that fails hard");
			});
			first.onLost(() -> ran.add("first"));
			second.onLost(() -> ran.add("second"));
			this.clock.advance(Duration.ofSeconds(1));
			try {
				service.runDueRenewals();
			}
			catch (AssertionError ex) {
				// reported below
			}
			assertThat(first.isValid()).isFalse();
			assertThat(second.isValid()).isFalse();
			assertThat(ran).as("every other callback ran").containsExactlyInAnyOrder("first", "second");
		}
	}

	@Test
	void aListenerThrowingAnErrorDoesNotStopOtherLeasesOnLost() {
		try (LockEngine service = Locksmith.builder(this.memory).clock(this.clock).backgroundRenewal(false)
			.callbackExecutor(Runnable::run).listener((event) -> {
				if (event.type() == LockEvent.Type.LOST) {
					throw new AssertionError("a listener that fails hard");
				}
			}).build()) {
			LockHandle first = service.acquire("first", LockOptions.ttl(Duration.ofSeconds(1)));
			LockHandle second = service.acquire("second", LockOptions.ttl(Duration.ofSeconds(1)));
			List<String> ran = new CopyOnWriteArrayList<>();
			first.onLost(() -> ran.add("first"));
			second.onLost(() -> ran.add("second"));
			this.clock.advance(Duration.ofSeconds(1));
			try {
				service.runDueRenewals();
			}
			catch (AssertionError ex) {
				// reported below
			}
			assertThat(ran).as("every callback ran").containsExactlyInAnyOrder("first", "second");
		}
	}

}
