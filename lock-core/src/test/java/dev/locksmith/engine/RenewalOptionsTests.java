package dev.locksmith.engine;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.LockEvent;
import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.Renewal;
import dev.locksmith.tck.CountingLockProvider;
import dev.locksmith.testsupport.ManualClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Renewal period and renewal timeout per lock and as defaults (issue 19, item 8), on the manual clock with
 * renewal runs driven by hand. Invariants: a lease is renewed before its local deadline; it is declared lost
 * at its local deadline at the latest; a renewal that times out counts as failed, its late answer is ignored
 * (it never moves the deadline) and it is retried; nothing is renewed after release.
 */
class RenewalOptionsTests {

	private static final Duration TTL = Duration.ofSeconds(30);

	private final ManualClock clock = new ManualClock();

	private final MemoryLockProvider memory = new MemoryLockProvider(this.clock);

	private final HangingProvider provider = new HangingProvider(new CountingLockProvider(this.memory));

	private final List<LockEvent> events = new CopyOnWriteArrayList<>();

	private final LockEngine engine = Locksmith.builder(this.provider)
		.clock(this.clock)
		.backgroundRenewal(false)
		.callbackExecutor(Runnable::run)
		.listener(this.events::add)
		.build();

	private final CountingLockProvider counting = (CountingLockProvider) this.provider.delegate;

	@AfterEach
	void close() {
		this.provider.answer.countDown();
		this.engine.close();
	}

	private LockOptions autoExtended() {
		return LockOptions.ttl(TTL).withAutoExtend(true);
	}

	@Test
	void theDefaultPeriodIsAThirdOfTheTtl() {
		LockHandle handle = this.engine.acquire("k", autoExtended());
		// (a run takes a renewal up to half its interval early, to batch it with others)
		advanceAndRun(Duration.ofSeconds(4));
		assertThat(this.counting.renewCalls.get()).isZero();
		advanceAndRun(Duration.ofSeconds(6));
		assertThat(this.counting.renewCalls.get()).isOne();
		handle.release();
	}

	@Test
	void aLockRenewsEveryRenewalPeriod() {
		LockHandle handle = this.engine.acquire("k", autoExtended().withRenewalPeriod(Duration.ofSeconds(5)));
		advanceAndRun(Duration.ofSeconds(2));
		assertThat(this.counting.renewCalls.get()).isZero();
		advanceAndRun(Duration.ofSeconds(3));
		assertThat(this.counting.renewCalls.get()).isOne();
		for (int i = 2; i <= 10; i++) {
			advanceAndRun(Duration.ofSeconds(5));
			assertThat(this.counting.renewCalls.get()).isEqualTo(i);
			assertThat(handle.remaining()).isGreaterThan(TTL.minusSeconds(1));
		}
		handle.release();
		advanceAndRun(Duration.ofSeconds(5));
		assertThat(this.counting.renewCalls.get()).as("no renewal after release").isEqualTo(10);
	}

	@Test
	void theDefaultsComeFromTheServiceWhenTheLockSetsNone() {
		try (LockEngine service = Locksmith.builder(this.provider)
			.clock(this.clock)
			.backgroundRenewal(false)
			.defaults(LockOptions.defaults().withTtl(TTL).withRenewalPeriod(Duration.ofSeconds(4)))
			.build()) {
			LockHandle handle = service.acquire("k");
			this.clock.advance(Duration.ofSeconds(4));
			service.runDueRenewals();
			assertThat(this.counting.renewCalls.get()).isOne();
			handle.release();
		}
	}

	@Test
	void aPeriodAndTimeoutMustFitTheTtl() {
		assertThatIllegalArgumentException().isThrownBy(() -> LockOptions.ttl(TTL).withRenewalPeriod(TTL))
			.withMessage("LockOptions.withRenewalPeriod: renewalPeriod must be shorter than the TTL (PT30S), was PT30S");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> LockOptions.ttl(TTL).withRenewalPeriod(Duration.ofSeconds(20)).withRenewalTimeout(
					Duration.ofSeconds(10)))
			.withMessage("LockOptions.withRenewalTimeout: renewalTimeout must be shorter than the TTL minus the "
					+ "renewal period (PT30S - PT20S = PT10S), was PT10S");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> LockOptions.defaults().withRenewalPeriod(Duration.ofSeconds(20)).withTtl(
					Duration.ofSeconds(10)))
			.withMessageStartingWith("LockOptions.withTtl: renewalPeriod must be shorter than the TTL (PT10S)");
		assertThatIllegalArgumentException().isThrownBy(() -> LockOptions.defaults().withRenewalTimeout(Duration.ZERO))
			.withMessageContaining("renewalTimeout must be from 1 ms");
		// the default TTL (30 s) only meets the lock's period at acquisition: refused before any backend call
		assertThatIllegalArgumentException()
			.isThrownBy(() -> this.engine.acquire("k", LockOptions.defaults().withRenewalPeriod(Duration.ofMinutes(1))))
			.withMessageStartingWith("MutexService.acquire: renewalPeriod must be shorter than the TTL");
		assertThat(this.counting.acquires.get()).isZero();
		assertThatIllegalArgumentException()
			.isThrownBy(() -> Locksmith.builder(this.memory)
				.defaults(LockOptions.defaults().withRenewalTimeout(Duration.ofSeconds(25))))
			.withMessageStartingWith("Locksmith.Builder.defaults: renewalTimeout must be shorter than the TTL minus");
		// a fixed lease is never renewed, so its period is not checked against a shorter TTL
		assertThat(this.engine.tryAcquire("fixed", LockOptions.defaults().withRenewalPeriod(Duration.ofMinutes(1))
			.withTtl(Duration.ofMinutes(2)).withAutoExtend(false))).isPresent().get().satisfies(LockHandle::release);
	}

	@Test
	void aRenewalUnansweredWithinTheTimeoutFailsIsIgnoredAndIsRetried() throws Exception {
		LockHandle handle = this.engine.acquire("k",
				autoExtended().withRenewalPeriod(Duration.ofSeconds(10)).withRenewalTimeout(Duration.ofSeconds(2)));
		CompletableFuture<Void> hung = hangTheFirstRenewal();
		long deadlineBefore = handle.remaining().toNanos();
		advanceAndRun(Duration.ofSeconds(1));
		assertThat(this.events).extracting(LockEvent::type).doesNotContain(LockEvent.Type.RENEW_FAILED);
		advanceAndRun(Duration.ofSeconds(1));
		assertThat(this.events).filteredOn((event) -> event.type() == LockEvent.Type.RENEW_FAILED)
			.singleElement()
			.satisfies((event) -> assertThat(event.error()).isInstanceOf(TimeoutException.class)
				.hasMessageContaining("renewal timeout (PT2S)"));
		assertThat(this.engine.statistics().renewFailed()).isOne();
		assertThat(handle.isValid()).isTrue();
		// the hung call answers late (the backend did renew): ignored, the deadline does not move
		this.provider.hang = false;
		this.provider.answer.countDown();
		hung.get(10, TimeUnit.SECONDS);
		assertThat(handle.renewals()).isZero();
		assertThat(handle.remaining().toNanos()).isEqualTo(deadlineBefore - Duration.ofSeconds(2).toNanos());
		// the retry goes out 100 ms after the timeout and moves the deadline
		advanceAndRun(Duration.ofMillis(100));
		assertThat(this.counting.renewCalls.get()).isEqualTo(2);
		assertThat(handle.renewals()).isOne();
		assertThat(handle.remaining()).isGreaterThan(TTL.minusSeconds(1));
		handle.release();
	}

	@Test
	void aLeaseWhoseRenewalsKeepTimingOutIsLostAtItsLocalDeadline() throws Exception {
		LockHandle handle = this.engine.acquire("k",
				autoExtended().withRenewalPeriod(Duration.ofSeconds(10)).withRenewalTimeout(Duration.ofSeconds(2)));
		CompletableFuture<Void> hung = hangTheFirstRenewal();
		Duration step = Duration.ofMillis(500);
		long steps = 0;
		while (handle.isValid() && steps < 100) {
			advanceAndRun(step);
			steps++;
		}
		// the deadline is TTL minus 1% and 2 ms after the grant: 29.698 s, so lost in the step that reaches 30 s
		assertThat(steps).isEqualTo(40);
		assertThat(this.events).extracting(LockEvent::type).contains(LockEvent.Type.LOST);
		this.provider.answer.countDown();
		hung.get(10, TimeUnit.SECONDS);
		assertThat(handle.renewals()).isZero();
	}

	/** Makes renewals hang, moves to the first renewal (t = 10 s) and sends it on another thread. */
	private CompletableFuture<Void> hangTheFirstRenewal() throws InterruptedException {
		this.provider.hang = true;
		this.clock.advance(Duration.ofSeconds(10));
		CompletableFuture<Void> hung = CompletableFuture.runAsync(this.engine::runDueRenewals);
		assertThat(this.provider.entered.await(10, TimeUnit.SECONDS)).isTrue();
		return hung;
	}

	private void advanceAndRun(Duration duration) {
		this.clock.advance(duration);
		this.engine.runDueRenewals();
	}

	/** Renewals block, while {@link #hang} is set, until {@link #answer} opens. */
	static final class HangingProvider extends ForwardingProvider {

		volatile boolean hang;

		final CountDownLatch entered = new CountDownLatch(1);

		final CountDownLatch answer = new CountDownLatch(1);

		HangingProvider(CountingLockProvider delegate) {
			super(delegate);
		}

		@Override
		public Set<LeaseRef> renew(List<Renewal> renewals) {
			if (this.hang) {
				this.entered.countDown();
				try {
					this.answer.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
			return super.renew(renewals);
		}

	}

}
