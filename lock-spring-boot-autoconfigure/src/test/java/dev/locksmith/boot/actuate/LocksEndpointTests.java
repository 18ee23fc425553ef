package dev.locksmith.boot.actuate;

import java.time.Duration;
import java.time.Instant;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.health.contributor.Status;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.boot.actuate.LocksEndpoint.HeldLockDescriptor;
import dev.locksmith.boot.actuate.LocksEndpoint.HeldLocksDescriptor;
import dev.locksmith.boot.actuate.LocksEndpoint.LockDescriptor;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.tck.CountingLockProvider;
import dev.locksmith.testsupport.ManualClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class LocksEndpointTests {

	private final MemoryLockProvider provider = new MemoryLockProvider();

	private final LockEngine locks = Locksmith.builder(this.provider).ownerId("me").keyPrefix("lock:").build();

	private final LockEngine otherInstance = Locksmith.builder(this.provider).ownerId("other").keyPrefix("lock:").build();

	@AfterEach
	void close() {
		this.locks.close();
		this.otherInstance.close();
	}

	@Test
	void listsTheLeasesThisInstanceHolds() {
		Instant before = Instant.now();
		try (LockHandle mine = this.locks.acquire("job:1", LockOptions.defaults().withName("jobs"));
				LockHandle theirs = this.otherInstance.acquire("job:2")) {
			HeldLocksDescriptor held = new LocksEndpoint(this.locks).locks();
			assertThat(held.provider()).isEqualTo("memory");
			assertThat(held.owner()).isEqualTo("me");
			assertThat(held.count()).isOne();
			HeldLockDescriptor lock = held.locks().get(0);
			assertThat(lock.key()).isEqualTo("job:1");
			assertThat(lock.name()).isEqualTo("jobs");
			assertThat(lock.token()).isEqualTo(mine.fencingToken());
			assertThat(lock.acquiredAt()).isAfterOrEqualTo(before.minusSeconds(1));
			assertThat(lock.expiresAt()).isAfter(lock.acquiredAt());
			assertThat(lock.renewals()).isZero();
		}
		assertThat(new LocksEndpoint(this.locks).locks().locks()).isEmpty();
	}

	@Test
	void inspectsAnyKeyOnTheBackend() {
		try (LockHandle theirs = this.otherInstance.acquire("job:2")) {
			LockDescriptor lock = new LocksEndpoint(this.locks).lock("job:2");
			assertThat(lock.locked()).isTrue();
			assertThat(lock.holder()).isEqualTo("other");
			assertThat(lock.token()).isEqualTo(theirs.fencingToken());
			assertThat(lock.leases()).hasSize(1);
		}
		assertThat(new LocksEndpoint(this.locks).lock("job:2").locked()).isFalse();
	}

	@Test
	void forceReleaseRemovesTheLeaseAndTheHolderFindsOut() {
		LockHandle theirs = this.otherInstance.acquire("stuck", LockOptions.ttl(Duration.ofMillis(600)).withAutoExtend(true));
		assertThat(new LocksEndpoint(this.locks).release("stuck").released()).isTrue();
		assertThat(this.locks.isLocked("stuck")).isFalse();
		Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !theirs.isValid());
		assertThat(new LocksEndpoint(this.locks).release("stuck").released()).isFalse();
	}

	@Test
	void healthIsUpWhenTheProviderAnswers() {
		LocksmithHealthIndicator indicator = new LocksmithHealthIndicator(this.locks, this.provider,
				new RenewalOutcomes(dev.locksmith.LockClock.system()), Duration.ofSeconds(10));
		assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);
		assertThat(indicator.health().getDetails()).containsEntry("provider", "memory").containsEntry("owner", "me");
	}

	@Test
	void healthDegradesWhileRenewalsFailWithinTheWindowAndRecoversAfterASuccess() {
		ManualClock clock = new ManualClock();
		CountingLockProvider backend = new CountingLockProvider(new MemoryLockProvider(clock));
		RenewalOutcomes renewals = new RenewalOutcomes(clock);
		try (LockEngine engine = Locksmith.builder(backend).clock(clock).listener(renewals)
			.callbackExecutor(Runnable::run).build()) {
			LocksmithHealthIndicator indicator = new LocksmithHealthIndicator(engine, backend, renewals,
					Duration.ofSeconds(10));
			engine.acquire("renewed", LockOptions.ttl(Duration.ofSeconds(30)).withAutoExtend(true));
			assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);
			backend.failWith("blip");
			clock.advance(Duration.ofSeconds(10));
			engine.runDueRenewals();
			assertThat(indicator.health().getStatus()).as("the ping fails too").isEqualTo(Status.DOWN);
			backend.recover();
			assertThat(indicator.health().getStatus()).isEqualTo(LocksmithHealthIndicator.DEGRADED);
			clock.advance(Duration.ofSeconds(1));
			engine.runDueRenewals();
			assertThat(indicator.health().getStatus()).as("a renewal succeeded").isEqualTo(Status.UP);
		}
	}

	@Test
	void twoProbesSeeTheSameDegradedStateUntilTheWindowPasses() {
		ManualClock clock = new ManualClock();
		CountingLockProvider backend = new CountingLockProvider(new MemoryLockProvider(clock));
		RenewalOutcomes renewals = new RenewalOutcomes(clock);
		try (LockEngine engine = Locksmith.builder(backend).clock(clock).listener(renewals)
			.callbackExecutor(Runnable::run).build()) {
			LocksmithHealthIndicator indicator = new LocksmithHealthIndicator(engine, backend, renewals,
					Duration.ofSeconds(10));
			engine.acquire("renewed", LockOptions.ttl(Duration.ofSeconds(30)).withAutoExtend(true));
			backend.failWith("blip");
			clock.advance(Duration.ofSeconds(10));
			engine.runDueRenewals();
			backend.recover();
			assertThat(indicator.health().getStatus()).as("first probe").isEqualTo(LocksmithHealthIndicator.DEGRADED);
			assertThat(indicator.health().getStatus()).as("second probe").isEqualTo(LocksmithHealthIndicator.DEGRADED);
			clock.advance(Duration.ofSeconds(10));
			assertThat(indicator.health().getStatus()).as("at the window's edge").isEqualTo(LocksmithHealthIndicator.DEGRADED);
			clock.advance(Duration.ofMillis(1));
			assertThat(indicator.health().getStatus()).as("the failure left the window").isEqualTo(Status.UP);
		}
	}

	@Test
	void rejectsANonPositiveWindow() {
		RenewalOutcomes renewals = new RenewalOutcomes(dev.locksmith.LockClock.system());
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new LocksmithHealthIndicator(this.locks, this.provider, renewals, Duration.ZERO))
			.withMessageContaining("window");
	}

}
