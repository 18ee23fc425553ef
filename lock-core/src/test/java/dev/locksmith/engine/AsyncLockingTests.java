package dev.locksmith.engine;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.locksmith.LockNotAcquiredException;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.tck.CountingLockProvider;
import dev.locksmith.tck.ForwardingLockProvider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@code withLockAsync} with real threads: the lock is held until the action's stage completes, however it
 * completes, and released exactly once; the caller's thread never waits for the lock.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AsyncLockingTests {

	private final MemoryLockProvider provider = new MemoryLockProvider();

	private final LockEngine engine = Locksmith.builder(this.provider).ownerId("async-a").build();

	private final LockEngine other = Locksmith.builder(this.provider).ownerId("async-b").build();

	private static final LockOptions NO_WAIT = LockOptions.waitTime(Duration.ZERO);

	@AfterEach
	void close() {
		this.engine.close();
		this.other.close();
	}

	@Test
	void theLockIsHeldUntilTheStageCompletesNormally() throws Exception {
		CompletableFuture<String> work = new CompletableFuture<>();
		CompletableFuture<String> result = this.engine.withLockAsync("k", () -> work);
		await().until(() -> this.engine.activeLockCount() == 1);
		assertThat(this.other.tryAcquire("k", NO_WAIT)).as("a second contender is denied while the stage runs")
			.isEmpty();
		assertThat(result).isNotDone();
		work.complete("done");
		assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo("done");
		assertThat(this.engine.activeLockCount()).isZero();
		assertThat(this.other.tryAcquire("k", NO_WAIT)).as("released when the stage completed").isPresent();
	}

	@Test
	void aLeaseLostWhileTheStageRunsFailsTheFuture() throws Exception {
		dev.locksmith.testsupport.ManualClock clock = new dev.locksmith.testsupport.ManualClock();
		MemoryLockProvider memory = new MemoryLockProvider(clock);
		try (LockEngine first = Locksmith.builder(memory).clock(clock).backgroundRenewal(false).build();
				LockEngine second = Locksmith.builder(memory).clock(clock).backgroundRenewal(false).build()) {
			CompletableFuture<String> work = new CompletableFuture<>();
			CompletableFuture<String> result = first.withLockAsync("k",
					LockOptions.ttl(Duration.ofSeconds(10)).withAutoExtend(false), () -> work);
			await().until(() -> first.activeLockCount() == 1);
			clock.advance(Duration.ofSeconds(11));
			first.runDueRenewals();
			try (dev.locksmith.LockHandle taken = second.acquire("k", NO_WAIT)) {
				work.complete("done");
				assertThatThrownBy(() -> result.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(dev.locksmith.LockLostException.class);
			}
			assertThat(first.activeLockCount()).isZero();
		}
	}

	@Test
	void anErrorFromTheReleaseStillCompletesTheFuture() {
		ForwardingLockProvider failing = new ForwardingLockProvider(new MemoryLockProvider()) {
			@Override
			public boolean release(dev.locksmith.spi.LeaseRef lease) {
				throw new AssertionError("release broke");
			}
		};
		try (LockEngine broken = Locksmith.builder(failing).build()) {
			CompletableFuture<String> result = broken.withLockAsync("k",
					() -> CompletableFuture.completedFuture("done"));
			assertThat(result).failsWithin(Duration.ofSeconds(10))
				.withThrowableOfType(ExecutionException.class)
				.withCauseInstanceOf(AssertionError.class);
		}
	}

	@Test
	void anExceptionallyCompletedStageReleasesAndPassesItsError() {
		CompletableFuture<String> work = new CompletableFuture<>();
		CompletableFuture<String> result = this.engine.withLockAsync("k", () -> work);
		await().until(() -> this.engine.isLocked("k"));
		assertThat(this.other.tryAcquire("k", NO_WAIT)).isEmpty();
		work.completeExceptionally(new IllegalStateException("boom"));
		assertThatThrownBy(() -> result.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
			.hasCauseInstanceOf(IllegalStateException.class)
			.hasRootCauseMessage("boom");
		assertThat(this.engine.isLocked("k")).isFalse();
		assertThat(this.engine.statistics().released()).isEqualTo(1);
	}

	@Test
	void aCancelledStageReleases() {
		CompletableFuture<String> work = new CompletableFuture<>();
		CompletableFuture<String> result = this.engine.withLockAsync("k", () -> work);
		await().until(() -> this.engine.isLocked("k"));
		work.cancel(false);
		assertThatThrownBy(() -> result.get(10, TimeUnit.SECONDS))
			.isInstanceOf(java.util.concurrent.CancellationException.class);
		assertThat(this.engine.isLocked("k")).isFalse();
	}

	@Test
	void cancellingTheResultCancelsTheStageAndReleasesWhenItEnds() {
		CompletableFuture<String> work = new CompletableFuture<>();
		CompletableFuture<String> result = this.engine.withLockAsync("k", () -> work);
		await().until(() -> this.engine.isLocked("k"));
		result.cancel(false);
		assertThat(work).isCancelled();
		await().until(() -> !this.engine.isLocked("k"));
		assertThat(this.engine.activeLockCount()).isZero();
	}

	@Test
	void aThrowingSupplierReleasesAtOnceWithoutLeak() {
		CompletableFuture<String> result = this.engine.withLockAsync("k", () -> {
			throw new IllegalStateException("no stage");
		});
		assertThatThrownBy(() -> result.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class)
			.hasRootCauseMessage("no stage");
		assertThat(this.engine.activeLockCount()).isZero();
		assertThat(this.engine.isLocked("k")).isFalse();
	}

	@Test
	void aSupplierReturningNullReleasesAtOnceWithAClearError() {
		Supplier<CompletionStage<String>> nothing = () -> null;
		CompletableFuture<String> result = this.engine.withLockAsync("k", nothing);
		assertThatThrownBy(() -> result.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class)
			.hasMessageContaining("withLockAsync")
			.hasMessageContaining("returned null");
		assertThat(this.engine.isLocked("k")).isFalse();
	}

	@Test
	void theCallersThreadDoesNotWaitForABusyLock() throws Exception {
		try (var held = this.other.acquire("k")) {
			AtomicInteger calls = new AtomicInteger();
			CompletableFuture<String> result = this.engine.withLockAsync("k", LockOptions.waitTime(Duration.ofSeconds(20)),
					() -> {
						calls.incrementAndGet();
						return CompletableFuture.completedFuture("mine");
					});
			// returned while the other service still holds the key: the wait happens on the async executor
			assertThat(result).isNotDone();
			assertThat(calls).hasValue(0);
			held.release();
			assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo("mine");
			assertThat(calls).hasValue(1);
		}
	}

	@Test
	void aLockNotAcquiredInTimeFailsTheFutureWithoutCallingTheAction() throws Exception {
		try (var held = this.other.acquire("k")) {
			AtomicInteger calls = new AtomicInteger();
			CompletableFuture<String> result = this.engine.withLockAsync("k", NO_WAIT, () -> {
				calls.incrementAndGet();
				return CompletableFuture.completedFuture("x");
			});
			assertThatThrownBy(() -> result.get(10, TimeUnit.SECONDS))
				.hasCauseInstanceOf(LockNotAcquiredException.class);
			assertThat(calls).hasValue(0);
		}
	}

	@Test
	void manyAsyncHoldersNeverOverlap() throws Exception {
		AtomicInteger inside = new AtomicInteger();
		AtomicInteger maxInside = new AtomicInteger();
		AtomicInteger done = new AtomicInteger();
		LockOptions wait = LockOptions.waitTime(Duration.ofSeconds(20));
		CompletableFuture<?>[] all = new CompletableFuture<?>[40];
		for (int i = 0; i < all.length; i++) {
			LockEngine service = (i % 2 == 0) ? this.engine : this.other;
			all[i] = service.withLockAsync("shared", wait, () -> {
				maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
				// completed later on another thread, as real asynchronous work would be
				return CompletableFuture.supplyAsync(() -> {
					inside.decrementAndGet();
					return done.incrementAndGet();
				}, CompletableFuture.delayedExecutor(1, TimeUnit.MILLISECONDS));
			});
		}
		CompletableFuture.allOf(all).get(30, TimeUnit.SECONDS);
		assertThat(maxInside).hasValue(1);
		assertThat(done).hasValue(40);
		assertThat(this.engine.activeLockCount() + this.other.activeLockCount()).isZero();
	}

	@Test
	void aSaturatedExecutorFailsTheFutureClearly() {
		Executor refusing = (task) -> {
			throw new RejectedExecutionException("full");
		};
		try (LockEngine bounded = Locksmith.builder(this.provider).asyncExecutor(refusing).build()) {
			CompletableFuture<String> result = bounded.withLockAsync("k",
					() -> CompletableFuture.completedFuture("x"));
			assertThatThrownBy(() -> result.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(RejectedExecutionException.class)
				.hasMessageContaining("withLockAsync");
			assertThat(bounded.isLocked("k")).isFalse();
		}
	}

	@Test
	void badInputFailsAtOnce() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> this.engine.withLockAsync(" ", () -> CompletableFuture.completedFuture("x")))
			.withMessageContaining("withLockAsync");
	}

	@Test
	void cancellingBeforeTheGrantGivesTheLockUpWithoutCallingTheAction() throws Exception {
		CountingLockProvider counting = new CountingLockProvider(this.provider);
		try (LockEngine waiting = Locksmith.builder(counting).ownerId("async-c").build()) {
			CountDownLatch called = new CountDownLatch(1);
			var held = this.other.acquire("k");
			CompletableFuture<String> result = waiting.withLockAsync("k", LockOptions.waitTime(Duration.ofSeconds(20)),
					() -> {
						called.countDown();
						return new CompletableFuture<>();
					});
			// the acquisition is under way (denied at least once) before the caller gives up
			await().until(() -> counting.acquires.get() >= 1);
			result.cancel(false);
			held.release();
			// the waiting acquisition is granted, notices the cancellation and releases at once
			await().until(() -> waiting.statistics().released() == 1);
			assertThat(called.getCount()).isEqualTo(1);
			assertThat(waiting.isLocked("k")).isFalse();
		}
	}

}
