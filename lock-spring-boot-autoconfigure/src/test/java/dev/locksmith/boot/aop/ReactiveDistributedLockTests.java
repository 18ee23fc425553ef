package dev.locksmith.boot.aop;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import dev.locksmith.LockHandle;
import dev.locksmith.LockLostException;
import dev.locksmith.Locksmith;
import dev.locksmith.MutexService;
import dev.locksmith.boot.aop.AspectTestConfiguration.ReactiveService;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.spi.LockProvider;

import static org.assertj.core.api.Assertions.assertThat;

@SpringJUnitConfig(AspectTestConfiguration.class)
@TestPropertySource(properties = { "test.short-ttl=300ms", "test.min-hold=400ms" })
class ReactiveDistributedLockTests {

	@Autowired
	private ReactiveService service;

	@Autowired
	private MutexService locks;

	@Autowired
	private LockProvider provider;

	@Test
	void monoHoldsTheLockUntilItCompletesAndLocksPerSubscription() {
		Mono<Long> mono = this.service.mono("m", -1);
		assertThat(this.service.subscriptions()).as("the method runs on subscription, under the lock").hasValue(0);
		assertThat(this.locks.isLocked("mono:m")).isFalse();
		Long first = mono.block(Duration.ofSeconds(5));
		Long second = mono.block(Duration.ofSeconds(5));
		assertThat(first).as("token injected, lock held while the Mono ran").isPositive();
		assertThat(second).isGreaterThan(first);
		assertThat(this.service.subscriptions()).hasValue(2);
		assertThat(this.locks.isLocked("mono:m")).isFalse();
	}

	@Test
	void fluxHoldsTheLockForEveryElement() {
		StepVerifier.create(this.service.flux()).expectNext(true, true, true).verifyComplete();
		assertThat(this.locks.isLocked("flux")).isFalse();
	}

	@Test
	void cancellingReleasesTheLock() {
		Disposable subscription = this.service.never().subscribe();
		Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> this.locks.isLocked("never"));
		subscription.dispose();
		Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !this.locks.isLocked("never"));
	}

	@Test
	void skipGivesAnEmptyMonoOrACompletedFuture() throws Exception {
		try (LockEngine other = Locksmith.builder(this.provider).keyPrefix("lock:").build();
				LockHandle held = other.acquire("busy")) {
			StepVerifier.create(this.service.skipMono()).verifyComplete();
			assertThat(this.service.skipFuture().get()).isNull();
		}
		assertThat(this.service.skipMono().block(Duration.ofSeconds(5))).isEqualTo("ran");
	}

	@Test
	void completionStageHoldsTheLockUntilItCompletes() throws Exception {
		CompletableFuture<String> result = this.service.future();
		assertThat(this.locks.isLocked("future")).isTrue();
		assertThat(result).isNotDone();
		this.service.pending().complete("value");
		assertThat(result.get()).isEqualTo("value");
		assertThat(this.locks.isLocked("future")).isFalse();
	}

	@Test
	void completionStageFailuresPropagateAndRelease() {
		CompletableFuture<String> result = this.service.future();
		this.service.pending().completeExceptionally(new IllegalStateException("boom"));
		assertThat(result).failsWithin(Duration.ofSeconds(5))
			.withThrowableOfType(java.util.concurrent.ExecutionException.class)
			.withCauseInstanceOf(IllegalStateException.class);
		assertThat(this.locks.isLocked("future")).isFalse();
	}

	@Test
	void lostLeaseFailsTheMono() {
		StepVerifier.create(this.service.monoOutlivingItsLease())
			.expectError(LockLostException.class)
			.verify(Duration.ofSeconds(10));
		assertThat(Optional.of(this.locks.isLocked("mono-lost"))).contains(false);
	}

	@Test
	void aLostLeaseFailsTheFutureOffLocksmithsThreads() {
		CompletableFuture<String> result = this.service.futureOutlivingItsLease();
		java.util.concurrent.atomic.AtomicReference<String> thread = new java.util.concurrent.atomic.AtomicReference<>();
		CompletableFuture<String> observed = result.handle((value, error) -> {
			thread.set(Thread.currentThread().getName());
			return (error != null) ? error.getClass().getSimpleName() : "completed";
		});
		assertThat(observed).succeedsWithin(Duration.ofSeconds(10)).isEqualTo("LockLostException");
		assertThat(thread.get()).as("the caller's continuation runs on neither the renewal nor the callback thread")
			.doesNotStartWith("locksmith-");
		this.service.pending().complete("late");
		Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !this.locks.isLocked("future-lost"));
	}

	@Test
	void aLostLeaseFailsTheFutureWhileOtherLeasesOnLostCallbacksBlock() throws Exception {
		try (BlockedCallbacks blocked = new BlockedCallbacks(this.locks)) {
			CompletableFuture<String> result = this.service.futureOutlivingItsLease();
			assertThat(result).failsWithin(Duration.ofSeconds(10))
				.withThrowableOfType(java.util.concurrent.ExecutionException.class)
				.withCauseInstanceOf(LockLostException.class);
			this.service.pending().complete("late");
		}
	}

	@Test
	void aLostLeaseEndsTheFluxWhileOtherLeasesOnLostCallbacksBlock() throws Exception {
		try (BlockedCallbacks blocked = new BlockedCallbacks(this.locks)) {
			StepVerifier.create(this.service.fluxOutlivingItsLease())
				.expectError(LockLostException.class)
				.verify(Duration.ofSeconds(10));
		}
	}

}
