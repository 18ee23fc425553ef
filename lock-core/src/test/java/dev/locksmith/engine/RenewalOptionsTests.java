package dev.locksmith.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.awaitility.Awaitility;
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
import dev.locksmith.tck.ForwardingLockProvider;
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

	private final CountingLockProvider counting = new CountingLockProvider(this.memory);

	private final HangingProvider provider = new HangingProvider(this.counting);

	private final List<LockEvent> events = new CopyOnWriteArrayList<>();

	private final LockEngine engine = Locksmith.builder(this.provider)
		.clock(this.clock)
		.backgroundRenewal(false)
		.callbackExecutor(Runnable::run)
		.listener(this.events::add)
		.build();

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
	void afterAnExtendToATtlThePeriodNoLongerFitsTheLeaseRenewsAtAThirdOfIt() {
		// found by SimulationTests (seed 131374493192139): a 1.5 s period kept for a lease extended to 1 s
		// renewed only 0.1 s before its local deadline, so a backend loss went unnoticed for 0.9 s
		LockHandle handle = this.engine.acquire("k",
				LockOptions.ttl(Duration.ofSeconds(3)).withAutoExtend(true).withRenewalPeriod(Duration.ofMillis(1500)));
		handle.extend(Duration.ofSeconds(1));
		int before = this.counting.renewCalls.get();
		advanceAndRun(Duration.ofMillis(400));
		assertThat(this.counting.renewCalls.get()).isEqualTo(before + 1);
		handle.release();
	}

	@Test
	void extremeTtlsNeitherOverflowNorSpin() {
		Duration year = LockOptions.MAX_TTL;
		LockHandle handle = this.engine.acquire("k", LockOptions.ttl(year)
			.withAutoExtend(true)
			.withRenewalPeriod(year.minusDays(1))
			.withRenewalTimeout(Duration.ofHours(12)));
		advanceAndRun(Duration.ofDays(100));
		assertThat(this.counting.renewCalls.get()).isZero();
		// the period is kept below 90% of the validity: renewed once within the year, and valid for a year again
		advanceAndRun(Duration.ofDays(230));
		assertThat(this.counting.renewCalls.get()).isOne();
		assertThat(handle.remaining()).isGreaterThan(Duration.ofDays(360));
		handle.release();
		assertThatIllegalArgumentException()
			.isThrownBy(() -> LockOptions.ttl(Duration.ofMillis(1)).withRenewalPeriod(Duration.ofMillis(1)))
			.withMessageContaining("renewalPeriod must be shorter than the TTL");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> LockOptions.defaults().withRenewalPeriod(Duration.ofNanos(1)))
			.withMessageContaining("LockOptions.withRenewalPeriod: renewalPeriod must be from 1 ms");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> LockOptions.defaults().withRenewalTimeout(year.plusNanos(1)))
			.withMessageContaining("renewalTimeout must be from 1 ms to 365 days");
		// a 1 ms TTL leaves no room for a renewal timeout either
		assertThatIllegalArgumentException()
			.isThrownBy(() -> this.engine.acquire("k", LockOptions.ttl(Duration.ofMillis(1))
				.withAutoExtend(true)
				.withRenewalTimeout(Duration.ofMillis(1))))
			.withMessageContaining("renewalTimeout must be shorter than the TTL minus the renewal period");
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

	@Test
	void anExtendAfterATimedOutRenewalWaitsForItSoTheHandleNeverClaimsMoreThanTheBackendGrants() throws Exception {
		LockHandle handle = this.engine.acquire("k",
				autoExtended().withRenewalPeriod(Duration.ofSeconds(10)).withRenewalTimeout(Duration.ofSeconds(2)));
		CompletableFuture<Void> hung = hangTheFirstRenewal();
		advanceAndRun(Duration.ofSeconds(2)); // the renewal (TTL 30 s) times out, still out on the backend
		// a caller lengthens the lease; the old renewal must not land after it and cut the backend expiry short
		Thread extending = runOnThread(() -> handle.extend(Duration.ofMinutes(10)));
		this.provider.hang = false;
		this.provider.answer.countDown();
		hung.get(10, TimeUnit.SECONDS);
		extending.join(10_000);
		assertThat(extending.isAlive()).isFalse();
		Instant localDeadline = this.clock.now().plus(handle.remaining());
		assertThat(localDeadline).isAfter(this.clock.now().plus(Duration.ofMinutes(9)));
		assertThat(localDeadline).as("local deadline vs backend expiry")
			.isBeforeOrEqualTo(this.engine.inspect("k").expiresAt());
		handle.release();
	}

	@Test
	void aShorteningExtendAfterATimedOutRenewalIsNotOvertakenByIt() throws Exception {
		LockHandle handle = this.engine.acquire("k",
				autoExtended().withRenewalPeriod(Duration.ofSeconds(10)).withRenewalTimeout(Duration.ofSeconds(2)));
		CompletableFuture<Void> hung = hangTheFirstRenewal();
		advanceAndRun(Duration.ofSeconds(2));
		Instant shortened = this.clock.now().plusSeconds(5);
		Thread extending = runOnThread(() -> handle.extend(Duration.ofSeconds(5)));
		this.provider.hang = false;
		this.provider.answer.countDown();
		hung.get(10, TimeUnit.SECONDS);
		extending.join(10_000);
		assertThat(extending.isAlive()).isFalse();
		assertThat(this.engine.inspect("k").expiresAt()).as("the backend keeps the shorter TTL asked for last")
			.isEqualTo(shortened);
		handle.release();
	}

	@Test
	void aReleaseAfterATimedOutRenewalIsNotUndoneByItsLateArrival() throws Exception {
		LockHandle handle = this.engine.acquire("k", autoExtended().withRenewalPeriod(Duration.ofSeconds(10))
			.withRenewalTimeout(Duration.ofSeconds(2))
			.withMinHold(Duration.ofSeconds(20)));
		Instant keepUntil = this.clock.now().plusSeconds(20);
		CompletableFuture<Void> hung = hangTheFirstRenewal();
		advanceAndRun(Duration.ofSeconds(2));
		// released at 12 s with a 20 s minimum hold: the backend keeps it until 20 s, not 30 s after the renewal
		Thread releasing = runOnThread(handle::release);
		this.provider.hang = false;
		this.provider.answer.countDown();
		hung.get(10, TimeUnit.SECONDS);
		releasing.join(10_000);
		assertThat(releasing.isAlive()).isFalse();
		assertThat(this.engine.inspect("k").expiresAt()).as("no orphan lease").isBeforeOrEqualTo(keepUntil);
	}

	@Test
	void aReleaseByARenewFailedListenerOnTheRenewalThreadEndsAtTheLocalDeadlineEvenIfTheRenewalNeverReturns()
			throws Exception {
		// with a direct callback executor the listener runs on the renewal scheduler thread, which must not
		// depend on itself to end the wait for the timed-out renewal
		HangingProvider hanging = new HangingProvider(new CountingLockProvider(new MemoryLockProvider()));
		CompletableFuture<dev.locksmith.ReleaseOutcome> released = new CompletableFuture<>();
		LockHandle[] held = new LockHandle[1];
		try (LockEngine service = Locksmith.builder(hanging).callbackExecutor(Runnable::run).listener((event) -> {
			if (event.type() == LockEvent.Type.RENEW_FAILED && !released.isDone()) {
				released.complete(held[0].release());
			}
		}).build()) {
			hanging.hang = true;
			held[0] = service.acquire("k", LockOptions.ttl(Duration.ofMillis(900))
				.withAutoExtend(true)
				.withRenewalPeriod(Duration.ofMillis(300))
				.withRenewalTimeout(Duration.ofMillis(200)));
			assertThat(released.get(20, TimeUnit.SECONDS)).as("declared lost at its local deadline")
				.isEqualTo(dev.locksmith.ReleaseOutcome.LOST);
			assertThat(held[0].isValid()).isFalse();
		}
		finally {
			hanging.answer.countDown();
		}
	}

	/**
	 * Starts {@code action} on a new thread and returns once it has finished or waits (for a request in flight).
	 */
	private static Thread runOnThread(Runnable action) {
		Thread thread = new Thread(action, "caller");
		thread.start();
		Awaitility.await()
			.atMost(Duration.ofSeconds(10))
			.until(() -> !thread.isAlive() || thread.getState() == Thread.State.WAITING
					|| thread.getState() == Thread.State.TIMED_WAITING);
		return thread;
	}

	@Test
	void aPartialReleaseOfNoPermitsFailsAtOnceEvenWhileARenewalIsOut() throws Exception {
		LockHandle permits = this.engine.semaphore("s", 3)
			.acquire(3, autoExtended().withRenewalPeriod(Duration.ofSeconds(10)));
		CompletableFuture<Void> hung = hangTheFirstRenewal();
		CompletableFuture<Integer> call = CompletableFuture.supplyAsync(() -> permits.releasePermits(0));
		assertThat(call).failsWithin(Duration.ofSeconds(5))
			.withThrowableOfType(java.util.concurrent.ExecutionException.class)
			.withCauseInstanceOf(IllegalArgumentException.class);
		this.provider.answer.countDown();
		hung.get(10, TimeUnit.SECONDS);
		permits.release();
	}

	@Test
	@org.junit.jupiter.api.Timeout(60)
	void aRejectedPartialReleaseKeepsTheRenewalItCancelled() throws Exception {
		LockHandle mutex = this.engine.acquire("a", autoExtended().withRenewalPeriod(Duration.ofSeconds(10)));
		this.clock.advance(Duration.ofSeconds(6));
		LockHandle permits = this.engine.semaphore("s", 3)
			.acquire(3, autoExtended().withRenewalPeriod(Duration.ofSeconds(10)));
		// t = 16 s: the mutex's renewal (due at 10 s) hangs; the semaphore's is due, queued behind it, not sent
		this.provider.hang = true;
		this.clock.advance(Duration.ofSeconds(4));
		CompletableFuture<Void> hung = CompletableFuture.runAsync(this.engine::runDueRenewals);
		assertThat(this.provider.entered.await(10, TimeUnit.SECONDS)).isTrue();
		this.clock.advance(Duration.ofSeconds(6));
		this.engine.runDueRenewals();
		assertThat(this.counting.renewCalls.get()).isZero();
		assertThatIllegalArgumentException().isThrownBy(() -> permits.releasePermits(4))
			.withMessageContaining("releasePermits");
		this.provider.hang = false;
		this.provider.answer.countDown();
		hung.get(10, TimeUnit.SECONDS);
		for (int i = 0; i < 50 && permits.isValid(); i++) {
			advanceAndRun(Duration.ofSeconds(1));
		}
		assertThat(permits.isValid()).as("still renewed after the rejected call").isTrue();
		assertThat(permits.renewals()).isPositive();
		assertThat(this.events).extracting(LockEvent::type).doesNotContain(LockEvent.Type.LOST);
		permits.release();
		mutex.release();
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
	static final class HangingProvider extends ForwardingLockProvider {

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
