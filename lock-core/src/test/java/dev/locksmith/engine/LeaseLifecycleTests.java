package dev.locksmith.engine;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.Backoff;
import dev.locksmith.LockEvent;
import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.LockStatistics;
import dev.locksmith.Locksmith;
import dev.locksmith.ReleaseOutcome;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.tck.CountingLockProvider;
import dev.locksmith.tck.ForwardingLockProvider;
import dev.locksmith.testsupport.ManualClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The lifecycle of one lease (held, renewing, extending, released, lost) and the defects of issue 12:
 * each test here failed on the engine before the lease got one owner.
 */
class LeaseLifecycleTests {

	private final ManualClock clock = new ManualClock();

	private final MemoryLockProvider memory = new MemoryLockProvider(this.clock);

	private final CountingLockProvider provider = new CountingLockProvider(this.memory);

	private final List<LockEvent> events = new CopyOnWriteArrayList<>();

	private final LockEngine engine = Locksmith.builder(this.provider)
		.clock(this.clock)
		.ownerId("lifecycle-test")
		.listener(this.events::add)
		.build();

	@AfterEach
	void close() {
		this.engine.close();
	}

	// ------------------------------------------------------------------ defect 1: extend reschedules

	@Test
	void shorteningAnAutoExtendedLeaseReschedulesItsRenewal() {
		LockHandle handle = this.engine.acquire("k");
		this.clock.advance(Duration.ofSeconds(1));
		handle.extend(Duration.ofSeconds(3));
		// renewal is due a third of the new TTL after the extend was sent: t = 2 s
		this.clock.advance(Duration.ofSeconds(1));
		this.engine.runDueRenewals();
		assertThat(this.provider.renewCalls.get()).as("renewal at t = 2 s, not t = 10 s").isEqualTo(1);
		// and the lease stays with us as long as renewals keep coming every second
		for (int i = 0; i < 20; i++) {
			this.clock.advance(Duration.ofMillis(500));
			this.engine.runDueRenewals();
			assertThat(handle.isValid()).isTrue();
			assertThat(this.memory.inspect("k").isLocked()).as("backend lease at step %d", i).isTrue();
		}
	}

	@Test
	void lengtheningAnAutoExtendedLeaseMovesItsRenewalLater() {
		LockHandle handle = this.engine.acquire("k");
		this.clock.advance(Duration.ofSeconds(1));
		handle.extend(Duration.ofSeconds(300));
		this.clock.advance(Duration.ofSeconds(30));
		this.engine.runDueRenewals();
		assertThat(this.provider.renewCalls.get()).as("next renewal at 1 s + 100 s").isZero();
		this.clock.advance(Duration.ofSeconds(71));
		this.engine.runDueRenewals();
		assertThat(this.provider.renewCalls.get()).isEqualTo(1);
		assertThat(handle.remaining()).isGreaterThan(Duration.ofSeconds(290));
	}

	// ------------------------------------------------------------------ defect 2: ambiguous acquire

	@Test
	void anAcquireWhoseReplyWasLostIsResentWithTheSameLeaseId() {
		ReplyLosingProvider lossy = new ReplyLosingProvider(this.memory, 1, 0);
		try (LockEngine service = Locksmith.builder(lossy).clock(this.clock).build()) {
			LockHandle handle = service.acquire("k", LockOptions.waitTime(Duration.ofSeconds(5))
				.withBackoff(Backoff.of(Duration.ofMillis(1), Duration.ofMillis(2), 2, 0, 10)));
			assertThat(lossy.leaseIds).hasSize(2);
			assertThat(lossy.leaseIds.get(1)).as("the same attempt is re-sent").isEqualTo(lossy.leaseIds.get(0));
			assertThat(handle.leaseId()).isEqualTo(lossy.leaseIds.get(0));
			assertThat(this.memory.inspect("k").leases()).hasSize(1);
			assertThat(handle.release()).isEqualTo(ReleaseOutcome.RELEASED);
			assertThat(this.memory.inspect("k").isLocked()).isFalse();
		}
	}

	@Test
	void anAcquireWhoseOutcomeStaysUnknownReleasesItsLeaseId() {
		// the first reply is lost after the backend granted, then every acquire fails until the wait ends
		ReplyLosingProvider lossy = new ReplyLosingProvider(this.memory, 1, Integer.MAX_VALUE);
		try (LockEngine service = Locksmith.builder(lossy).clock(this.clock).build()) {
			assertThatThrownBy(() -> service.acquire("k", LockOptions.waitTime(Duration.ofMillis(20))
				.withBackoff(Backoff.of(Duration.ofMillis(1), Duration.ofMillis(2), 2, 0, 5))))
				.isInstanceOf(LockProviderUnavailableException.class);
			assertThat(this.memory.inspect("k").isLocked()).as("no orphan left on the backend").isFalse();
			assertThat(service.activeLockCount()).isZero();
		}
	}

	@Test
	void anInterruptedAcquireWhoseOutcomeIsUnknownReleasesItsLeaseIdAndKeepsTheFlag() {
		ReplyLosingProvider lossy = new ReplyLosingProvider(this.memory, 1, Integer.MAX_VALUE);
		try (LockEngine service = Locksmith.builder(lossy).clock(this.clock).build()) {
			Thread.currentThread().interrupt();
			try {
				assertThatThrownBy(() -> service.acquire("k", LockOptions.waitTime(Duration.ofMinutes(1))))
					.isInstanceOf(dev.locksmith.LockNotAcquiredException.class)
					.hasMessageContaining("Interrupted");
				assertThat(Thread.currentThread().isInterrupted()).isTrue();
			}
			finally {
				Thread.interrupted();
			}
			assertThat(lossy.leaseIds).hasSize(1);
			assertThat(this.memory.inspect("k").isLocked()).as("no orphan left on the backend").isFalse();
		}
	}

	// ------------------------------------------------------------------ defect 3: bounds

	@Test
	void aHugeTtlIsRejectedBeforeAnythingReachesTheBackend() {
		assertThatThrownBy(() -> this.engine.acquire("k",
				LockOptions.waitTime(Duration.ZERO).withTtl(Duration.ofDays(1_000_000))))
			.isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining("ttl")
			.hasMessageContaining("365");
		assertThat(this.provider.acquires.get()).isZero();
		assertThat(this.memory.inspect("k").isLocked()).isFalse();
		assertThat(this.engine.activeLockCount()).isZero();
	}

	@Test
	void subMillisecondAndHugeDurationsAreRejectedEverywhere() {
		assertThatThrownBy(() -> LockOptions.ttl(Duration.ofNanos(999_999))).isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining("1 ms");
		assertThatThrownBy(() -> LockOptions.defaults().withMinHold(Duration.ofDays(1_000_000)))
			.isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining("minHold");
		LockHandle handle = this.engine.acquire("k");
		assertThatThrownBy(() -> handle.extend(Duration.ofNanos(10))).isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining("LockHandle.extend");
		assertThatThrownBy(() -> handle.extend(Duration.ofDays(1_000_000)))
			.isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining("LockHandle.extend");
		assertThatThrownBy(() -> this.engine.extendLease("k", handle.leaseId(), Duration.ofDays(1_000_000)))
			.isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining("extendLease");
		assertThatThrownBy(() -> this.engine.extendLease("k", handle.leaseId(), Duration.ofNanos(1)))
			.isInstanceOf(IllegalArgumentException.class);
		assertThat(handle.isValid()).isTrue();
		assertThat(handle.release()).isEqualTo(ReleaseOutcome.RELEASED);
	}

	@Test
	void aWaitTimeOfForeverMeansWaitPracticallyForever() {
		LockHandle handle = this.engine.acquire("k",
				LockOptions.waitTime(ChronoUnit.FOREVER.getDuration()).withTtl(Duration.ofSeconds(5)));
		assertThat(handle.isValid()).isTrue();
		handle.release();
		LockHandle again = this.engine.acquire("k", LockOptions.waitTime(Duration.ofSeconds(Long.MAX_VALUE)));
		assertThat(again.isValid()).isTrue();
		again.release();
	}

	// ------------------------------------------------------------------ defect 4: callbacks off the renewal thread

	@Test
	void aBlockingOnLostCallbackDoesNotStallTheRenewalOfOtherLeases() throws Exception {
		LockHandle fixed = this.engine.acquire("fixed", LockOptions.ttl(Duration.ofSeconds(3)));
		LockHandle renewed = this.engine.acquire("renewed", LockOptions.ttl(Duration.ofSeconds(9)).withAutoExtend(true));
		CountDownLatch callbackEntered = new CountDownLatch(1);
		CountDownLatch unblock = new CountDownLatch(1);
		AtomicReference<Thread> callbackThread = new AtomicReference<>();
		fixed.onLost(() -> {
			callbackThread.set(Thread.currentThread());
			callbackEntered.countDown();
			try {
				unblock.await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		});
		try {
			this.clock.advance(Duration.ofSeconds(3));
			CompletableFuture<Thread> tick = CompletableFuture.supplyAsync(() -> {
				this.engine.runDueRenewals();
				return Thread.currentThread();
			});
			Thread renewalThread = tick.get(30, TimeUnit.SECONDS);
			assertThat(renewed.renewals()).as("the other lease was renewed in the same tick").isEqualTo(1);
			assertThat(callbackEntered.await(30, TimeUnit.SECONDS)).isTrue();
			assertThat(callbackThread.get()).isNotSameAs(renewalThread);
			assertThat(fixed.isValid()).isFalse();
		}
		finally {
			unblock.countDown();
		}
	}

	// ------------------------------------------------------------------ defect 5: release accounting

	@Test
	void aFailedReleaseIsNotCountedAsReleasedAndCanBeRetried() {
		LockHandle handle = this.engine.acquire("k");
		this.provider.failWith("backend down");
		assertThatThrownBy(handle::release).isInstanceOf(LockProviderUnavailableException.class);
		LockStatistics statistics = this.engine.statistics();
		assertThat(statistics.released()).isZero();
		assertThat(this.events).extracting(LockEvent::type).doesNotContain(LockEvent.Type.RELEASED);
		assertThat(handle.isValid()).as("no longer renewed, so no longer trusted").isFalse();
		this.provider.recover();
		assertThat(handle.release()).as("the retry releases the lease on the backend").isEqualTo(ReleaseOutcome.RELEASED);
		assertThat(this.memory.inspect("k").isLocked()).isFalse();
		assertThat(this.engine.statistics().released()).isEqualTo(1);
		assertThat(handle.release()).isEqualTo(ReleaseOutcome.ALREADY_RELEASED);
		assertThat(this.events).filteredOn((event) -> event.type() == LockEvent.Type.RELEASED).hasSize(1);
	}

	@Test
	void aFailedReleaseRetriedAfterTheLeaseExpiredSaysLost() {
		LockHandle handle = this.engine.acquire("k", LockOptions.ttl(Duration.ofSeconds(5)));
		this.provider.failWith("backend down");
		assertThatThrownBy(handle::release).isInstanceOf(LockProviderUnavailableException.class);
		this.provider.recover();
		this.clock.advance(Duration.ofSeconds(6));
		assertThat(handle.release()).isEqualTo(ReleaseOutcome.LOST);
		assertThat(this.engine.statistics().released()).isZero();
		assertThat(this.engine.statistics().lost()).isEqualTo(1);
	}

	// ------------------------------------------------------------------ further engine defects

	@Test
	void aLostLeaseFiresOnLostExactlyOnce() throws Exception {
		LockHandle handle = this.engine.acquire("k", LockOptions.ttl(Duration.ofSeconds(3)));
		AtomicInteger lost = new AtomicInteger();
		CountDownLatch fired = new CountDownLatch(1);
		handle.onLost(() -> {
			lost.incrementAndGet();
			fired.countDown();
		});
		this.clock.advance(Duration.ofSeconds(4));
		this.engine.runDueRenewals();
		this.engine.runDueRenewals();
		assertThat(handle.release()).isEqualTo(ReleaseOutcome.LOST);
		assertThat(handle.release()).isEqualTo(ReleaseOutcome.ALREADY_RELEASED);
		assertThat(fired.await(30, TimeUnit.SECONDS)).isTrue();
		assertThat(lost.get()).isEqualTo(1);
		assertThat(this.engine.statistics().lost()).isEqualTo(1);
	}

	@Test
	void aRenewalAnsweredAfterTheLeaseWasLostDoesNotResurrectIt() throws Exception {
		CountDownLatch renewEntered = new CountDownLatch(1);
		CountDownLatch proceed = new CountDownLatch(1);
		AtomicReference<java.util.function.Consumer<dev.locksmith.spi.LeaseRef>> lossListener = new AtomicReference<>();
		ForwardingLockProvider slowRenewals = new ForwardingLockProvider(this.memory) {
			@Override
			public java.util.Set<dev.locksmith.spi.LeaseRef> renew(List<dev.locksmith.spi.Renewal> renewals) {
				renewEntered.countDown();
				try {
					proceed.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				return super.renew(renewals);
			}

			@Override
			public void setLeaseLossListener(java.util.function.Consumer<dev.locksmith.spi.LeaseRef> listener) {
				lossListener.set(listener);
			}
		};
		try (LockEngine service = Locksmith.builder(slowRenewals).clock(this.clock).backgroundRenewal(false)
			.callbackExecutor(Runnable::run).build()) {
			LockHandle handle = service.acquire("k", LockOptions.ttl(Duration.ofSeconds(3)).withAutoExtend(true));
			AtomicInteger lost = new AtomicInteger();
			handle.onLost(lost::incrementAndGet);
			this.clock.advance(Duration.ofSeconds(1));
			Thread renewal = new Thread(service::runDueRenewals);
			renewal.start();
			assertThat(renewEntered.await(30, TimeUnit.SECONDS)).isTrue();
			lossListener.get().accept(new dev.locksmith.spi.LeaseRef("k", dev.locksmith.LeaseType.WRITE, handle.leaseId()));
			proceed.countDown();
			renewal.join(30_000);
			assertThat(handle.isValid()).as("the late renewal result is ignored").isFalse();
			assertThat(handle.renewals()).isZero();
			assertThat(lost.get()).isEqualTo(1);
			assertThat(service.activeLockCount()).isZero();
			assertThat(handle.release()).isEqualTo(ReleaseOutcome.LOST);
		}
	}

	@Test
	void withoutBackgroundRenewalOnlyTheCallerRunsRenewals() {
		try (LockEngine service = Locksmith.builder(this.provider).clock(this.clock).backgroundRenewal(false)
			.callbackExecutor(Runnable::run).build()) {
			LockHandle handle = service.acquire("k", LockOptions.ttl(Duration.ofMillis(30)).withAutoExtend(true));
			this.clock.advance(Duration.ofMillis(20));
			assertThat(this.provider.renewCalls.get()).isZero();
			service.runDueRenewals();
			assertThat(this.provider.renewCalls.get()).isEqualTo(1);
			assertThat(handle.renewals()).isEqualTo(1);
		}
	}

	@Test
	void aDetachedLeaseNeverReportsALaterExpiryThanTheBackends() {
		ForwardingLockProvider slowReplies = new ForwardingLockProvider(this.memory) {
			@Override
			public Grant acquire(LeaseRequest request) {
				Grant grant = super.acquire(request);
				LeaseLifecycleTests.this.clock.advance(Duration.ofSeconds(5)); // the reply takes 5 s
				return grant;
			}
		};
		try (LockEngine service = Locksmith.builder(slowReplies).clock(this.clock).build()) {
			dev.locksmith.LeaseInfo lease = service
				.acquireDetached("k", LockOptions.ttl(Duration.ofSeconds(30)).withWaitTime(Duration.ZERO))
				.orElseThrow();
			assertThat(lease.expiresAt()).isBeforeOrEqualTo(this.memory.inspect("k").expiresAt());
		}
	}

	@Test
	void anOnLostCallbackMayReleaseALeaseWhoseRenewalIsInTheSameTick() throws Exception {
		try (LockEngine service = Locksmith.builder(this.provider).clock(this.clock).backgroundRenewal(false)
			.callbackExecutor(Runnable::run).build()) {
			LockHandle renewed = service.acquire("renewed", LockOptions.ttl(Duration.ofSeconds(6)).withAutoExtend(true));
			LockHandle fixed = service.acquire("fixed", LockOptions.ttl(Duration.ofMillis(2_500)));
			fixed.onLost(renewed::release);
			this.clock.advance(Duration.ofMillis(2_500));
			// the renewed lease (due at 2 s) gets its renewal request first; then the fixed one is lost
			CompletableFuture<Void> tick = CompletableFuture.runAsync(service::runDueRenewals);
			tick.get(30, TimeUnit.SECONDS);
			assertThat(fixed.isValid()).isFalse();
			assertThat(renewed.isValid()).as("released by the callback").isFalse();
			assertThat(this.memory.inspect("renewed").isLocked()).isFalse();
		}
	}

	/**
	 * A provider around the memory store whose acquire replies can be lost after the store applied the
	 * call (the first {@code lostReplies} acquires), and which then fails the next {@code failures} acquires.
	 */
	static final class ReplyLosingProvider extends ForwardingLockProvider {

		final List<String> leaseIds = new CopyOnWriteArrayList<>();

		private final AtomicInteger lostReplies;

		private final AtomicInteger failures;

		ReplyLosingProvider(MemoryLockProvider delegate, int lostReplies, int failures) {
			super(delegate);
			this.lostReplies = new AtomicInteger(lostReplies);
			this.failures = new AtomicInteger(failures);
		}

		@Override
		public Grant acquire(LeaseRequest request) {
			this.leaseIds.add(request.leaseId());
			if (this.lostReplies.getAndDecrement() > 0) {
				this.delegate.acquire(request);
				throw new LockProviderUnavailableException(request.key(), "reply timed out", null);
			}
			if (this.failures.getAndDecrement() > 0) {
				throw new LockProviderUnavailableException(request.key(), "connection refused", null);
			}
			return this.delegate.acquire(request);
		}

	}

}
