package dev.locksmith.boot.aop;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import dev.locksmith.LockContext;
import dev.locksmith.LockHandle;
import dev.locksmith.LockLostException;
import dev.locksmith.LockNotAcquiredException;
import dev.locksmith.Locksmith;
import dev.locksmith.MutexService;
import dev.locksmith.boot.aop.AspectTestConfiguration.Greeter;
import dev.locksmith.boot.aop.AspectTestConfiguration.LockedService;
import dev.locksmith.boot.aop.AspectTestConfiguration.Outer;
import dev.locksmith.boot.aop.AspectTestConfiguration.Seen;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.spi.LockProvider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

@SpringJUnitConfig(AspectTestConfiguration.class)
@TestPropertySource(properties = { "test.short-ttl=300ms", "test.min-hold=400ms" })
class DistributedLockAspectTests {

	@Autowired
	private LockedService service;

	@Autowired
	private Outer outer;

	@Autowired
	private Greeter greeter;

	@Autowired
	private MutexService locks;

	@Autowired
	private LockProvider provider;

	/** Another instance on the same backend: holds keys the way another process would. */
	private LockEngine otherInstance;

	@BeforeEach
	void startOtherInstance() {
		this.otherInstance = Locksmith.builder(this.provider).keyPrefix("lock:").build();
		this.service.calls().set(0);
	}

	@AfterEach
	void stopOtherInstance() {
		this.otherInstance.close();
	}

	@Test
	void keyUsesParameterNamesAndTheLockIsHeldOnlyDuringTheCall() {
		Seen seen = this.service.byName("42");
		assertThat(seen.key()).isEqualTo("user:42");
		assertThat(seen.locked()).isTrue();
		assertThat(seen.name()).as("name defaults to the key expression, never the key").isEqualTo("'user:' + #userId");
		assertThat(this.locks.isLocked("user:42")).isFalse();
		assertThat(LockContext.isHeld()).isFalse();
	}

	@Test
	void keyUsesPositionalArgumentsAndTheRootObject() {
		Seen seen = this.service.positional("7");
		assertThat(seen.key()).isEqualTo("p:7:positional");
		assertThat(seen.name()).isEqualTo("positional");
	}

	@Test
	void keyUsesBeanReferences() {
		assertThat(this.service.beanReference("9").key()).isEqualTo("u-9");
	}

	@Test
	void nullOrBlankKeyFailsNamingTheMethodAndExpression() {
		assertThatIllegalArgumentException().isThrownBy(() -> this.service.nullable(null))
			.withMessageContaining("LockedService.nullable(String)")
			.withMessageContaining("'#userId'")
			.withMessageContaining("evaluated to null");
		assertThatIllegalArgumentException().isThrownBy(() -> this.service.nullable("  "))
			.withMessageContaining("evaluated to a blank string");
		assertThat(this.service.calls()).hasValue(0);
		assertThat(this.locks.isLocked("null")).isFalse();
	}

	@Test
	void fencingTokenReplacesTheCallersValueAndMatchesTheContext() {
		long[] first = this.service.token("a", -1);
		long[] second = this.service.token("a", 12345);
		assertThat(first[0]).isPositive().isEqualTo(first[1]);
		assertThat(second[0]).isGreaterThan(first[0]).isEqualTo(second[1]);
	}

	@Test
	void explicitTtlIsAFixedLeaseAndItsLossIsThrownAfterTheMethod() {
		assertThatExceptionOfType(LockLostException.class).isThrownBy(this.service::fixedLease)
			.withMessageContaining("'fixed'")
			.withMessageContaining("fixedLease()");
	}

	@Test
	void autoExtendTrueRenewsAnExplicitTtl() {
		assertThat(this.service.extended()).isGreaterThanOrEqualTo(2);
	}

	@Test
	void onLostInterruptInterruptsTheMethodThenThrows() {
		assertThatExceptionOfType(LockLostException.class).isThrownBy(this.service::interruptible);
		assertThat(this.service.interruption()).hasValue("interrupted");
		assertThat(Thread.currentThread().isInterrupted()).isFalse();
	}

	@Test
	void waitGivesUpAfterTheWaitTime() {
		try (LockHandle held = this.otherInstance.acquire("busy")) {
			assertThatExceptionOfType(LockNotAcquiredException.class).isThrownBy(this.service::waitBriefly)
				.satisfies((ex) -> assertThat(ex.getWaited()).isGreaterThanOrEqualTo(Duration.ofMillis(150)));
		}
		assertThat(this.service.calls()).hasValue(0);
		assertThat(this.service.waitBriefly()).isEqualTo("ran");
	}

	@Test
	void waitWaitsForTheHolder() throws Exception {
		LockHandle held = this.otherInstance.acquire("busy");
		ExecutorService executor = Executors.newSingleThreadExecutor();
		try {
			CountDownLatch started = new CountDownLatch(1);
			Future<String> call = executor.submit(() -> {
				started.countDown();
				return this.service.waitLong();
			});
			started.await();
			held.close();
			assertThat(call.get()).isEqualTo("ran");
		}
		finally {
			executor.shutdownNow();
		}
	}

	@Test
	void retryOverridesApply() {
		try (LockHandle held = this.otherInstance.acquire("busy")) {
			assertThatExceptionOfType(LockNotAcquiredException.class).isThrownBy(this.service::oneAttempt)
				.satisfies((ex) -> assertThat(ex.getWaited()).isLessThan(Duration.ofSeconds(5)));
		}
	}

	@Test
	void skipReturnsAnEmptyResultForTheReturnType() {
		try (LockHandle held = this.otherInstance.acquire("busy")) {
			assertThat(this.service.skipOptional()).isEmpty();
			assertThat(this.service.skipInt()).isZero();
			assertThat(this.service.skipString()).isNull();
		}
		assertThat(this.service.calls()).hasValue(0);
		assertThat(this.service.skipOptional()).contains("ran");
		assertThat(this.service.skipInt()).isEqualTo(42);
	}

	@Test
	void throwFailsWithoutWaiting() {
		try (LockHandle held = this.otherInstance.acquire("busy")) {
			assertThatExceptionOfType(LockNotAcquiredException.class).isThrownBy(this.service::throwAtOnce)
				.satisfies((ex) -> assertThat(ex.getWaited()).isLessThan(Duration.ofSeconds(1)));
		}
		assertThat(this.service.calls()).hasValue(0);
	}

	@Test
	void minHoldKeepsTheLockAfterTheMethodReturns() {
		this.service.minHold();
		assertThat(this.service.calls()).hasValue(1);
		assertThat(this.locks.isLocked("min-hold")).isTrue();
		Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !this.locks.isLocked("min-hold"));
	}

	@Test
	void worksAsAMetaAnnotationWithAliases() {
		Seen seen = this.service.composed("3");
		assertThat(seen.key()).isEqualTo("composed:3");
		assertThat(seen.name()).isEqualTo("user-lock");
		assertThat(seen.locked()).isTrue();
	}

	@Test
	void worksOnInterfaceMethods() {
		Seen seen = this.greeter.greet("ann");
		assertThat(seen.key()).isEqualTo("greet:ann");
		assertThat(seen.locked()).isTrue();
		assertThat(this.greeter.token(-1)).as("@FencingToken declared on the interface parameter").isPositive();
	}

	@Test
	void nestedCallOnTheSameKeyJoinsTheOuterLease() {
		long[] tokens = this.outer.sameKey("x", -1);
		assertThat(tokens[0]).isPositive();
		assertThat(tokens[1]).isEqualTo(tokens[0]);
		assertThat(this.locks.isLocked("nested:x")).isFalse();
	}

	@Test
	void nestedCallOnAnotherKeyTakesItsOwnLock() {
		long[] tokens = this.outer.otherKey("y", -1);
		assertThat(tokens[0]).isPositive();
		assertThat(tokens[1]).isPositive();
		assertThat(this.locks.isLocked("nested:y")).isFalse();
		assertThat(this.locks.isLocked("other:y")).isFalse();
	}

	@Test
	void callsAreMutuallyExclusiveAcrossThreads() throws Exception {
		int threads = 4;
		int perThread = 25;
		this.service.resetCounter();
		ExecutorService executor = Executors.newFixedThreadPool(threads);
		try {
			CountDownLatch start = new CountDownLatch(1);
			List<Future<?>> futures = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				futures.add(executor.submit(() -> {
					start.await();
					for (int i = 0; i < perThread; i++) {
						this.service.increment();
					}
					return null;
				}));
			}
			start.countDown();
			for (Future<?> future : futures) {
				future.get();
			}
		}
		finally {
			executor.shutdownNow();
		}
		assertThat(this.service.counter()).isEqualTo(threads * perThread);
	}

	@Test
	void keyIsEvaluatedOnceAndNotRecomputedOnRelease() {
		StringBuilder builder = new StringBuilder("original");
		this.service.mutateKey(builder);
		assertThat(builder).hasToString("original-changed");
		assertThat(this.locks.isLocked("original")).isFalse();
		assertThat(this.locks.activeLockCount()).isZero();
	}

	@Test
	void exceptionsPropagateAndReleaseTheLock() {
		assertThatExceptionOfType(IllegalStateException.class).isThrownBy(this.service::failing).withMessage("boom");
		assertThat(this.locks.isLocked("failing")).isFalse();
	}

	@Test
	void metadataIsCachedPerMethodAndTargetClass() throws Exception {
		LockOperationSource source = new LockOperationSource(null, dev.locksmith.Backoff::defaults);
		var method = LockedService.class.getMethod("byName", String.class);
		LockOperation first = source.get(method, LockedService.class);
		assertThat(first).isNotNull();
		assertThat(source.get(method, LockedService.class)).isSameAs(first);
		assertThat(source.get(LockedService.class.getMethod("toString"), LockedService.class)).isNull();
	}

}
