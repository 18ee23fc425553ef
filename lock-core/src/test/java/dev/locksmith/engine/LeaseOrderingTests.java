package dev.locksmith.engine;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.Locksmith;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.tck.CountingLockProvider;
import dev.locksmith.tck.ForwardingLockProvider;
import dev.locksmith.testsupport.ManualClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The order of one lease's requests and what its local deadline may claim when an answer is late or
 * missing: the deadline never exceeds the backend's expiry. Public API only.
 */
class LeaseOrderingTests {

	private final ManualClock clock = new ManualClock();

	private final MemoryLockProvider memory = new MemoryLockProvider(this.clock);

	private final CountingLockProvider provider = new CountingLockProvider(this.memory);

	private final LockEngine engine = Locksmith.builder(this.provider).clock(this.clock).build();

	@AfterEach
	void close() {
		this.engine.close();
	}

	private Duration backendRemaining(String key) {
		return Duration.between(this.clock.now(), this.memory.inspect(key).expiresAt());
	}

	@Test
	void anExtendWithoutAnAnswerKeepsTheEarlierOfBothDeadlinesAndRenewalGoesOn() {
		LockHandle handle = this.engine.acquire("k");
		this.clock.advance(Duration.ofSeconds(1));
		// the backend applies the shorter TTL, then the reply is lost
		this.memory.extend(new dev.locksmith.spi.LeaseRef("k", dev.locksmith.LeaseType.WRITE, handle.leaseId()),
				Duration.ofSeconds(3));
		this.provider.failWith("reply timed out");
		assertThatThrownBy(() -> handle.extend(Duration.ofSeconds(3)))
			.isInstanceOf(LockProviderUnavailableException.class);
		assertThat(handle.remaining()).as("the local deadline never exceeds the backend's expiry")
			.isLessThanOrEqualTo(backendRemaining("k"));
		this.provider.recover();
		this.clock.advance(Duration.ofSeconds(1));
		this.engine.runDueRenewals();
		assertThat(this.provider.renewCalls.get()).as("renewed before the shorter TTL could run out").isEqualTo(1);
		assertThat(handle.remaining()).isGreaterThan(Duration.ofSeconds(29));
		assertThat(handle.remaining()).isLessThanOrEqualTo(backendRemaining("k"));
	}

	@Test
	void aRenewalInFlightIsAnsweredBeforeAnExtendIsSent() throws Exception {
		CountDownLatch renewEntered = new CountDownLatch(1);
		CountDownLatch proceed = new CountDownLatch(1);
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
		};
		try (LockEngine service = Locksmith.builder(slowRenewals).clock(this.clock).build()) {
			LockHandle handle = service.acquire("k", LockOptions.ttl(Duration.ofSeconds(3)).withAutoExtend(true));
			this.clock.advance(Duration.ofSeconds(1));
			Thread renewal = new Thread(service::runDueRenewals);
			renewal.start();
			assertThat(renewEntered.await(30, TimeUnit.SECONDS)).isTrue();
			// the renewal (3 s) is on its way to the backend; the caller extends to 30 s meanwhile
			CompletableFuture<Void> extend = new CompletableFuture<>();
			Thread caller = new Thread(() -> {
				try {
					handle.extend(Duration.ofSeconds(30));
					extend.complete(null);
				}
				catch (RuntimeException ex) {
					extend.completeExceptionally(ex);
				}
			});
			caller.start();
			org.awaitility.Awaitility.await()
				.atMost(Duration.ofSeconds(30))
				.until(() -> extend.isDone() || caller.getState() == Thread.State.WAITING
						|| caller.getState() == Thread.State.TIMED_WAITING);
			proceed.countDown();
			renewal.join(30_000);
			extend.get(30, TimeUnit.SECONDS);
			Duration backend = Duration.between(this.clock.now(), this.memory.inspect("k").expiresAt());
			assertThat(handle.remaining()).as("the local deadline never exceeds the backend's expiry")
				.isLessThanOrEqualTo(backend);
			assertThat(handle.remaining()).isGreaterThan(Duration.ofSeconds(29));
		}
	}


	/**
	 * Found by Fray ({@code EngineInterleavingTests.extendReleaseRaceRenewalsAndAContender}) on the new engine:
	 * while a shortening extend is on its way, the backend may already expire the lease at the shorter time,
	 * so the handle must not claim the longer deadline meanwhile.
	 */
	@Test
	void aShorteningExtendInFlightAlreadyLimitsTheDeadline() throws Exception {
		CountDownLatch applied = new CountDownLatch(1);
		CountDownLatch reply = new CountDownLatch(1);
		ForwardingLockProvider slowReply = new ForwardingLockProvider(this.memory) {
			@Override
			public boolean extend(dev.locksmith.spi.LeaseRef ref, Duration ttl) {
				boolean extended = super.extend(ref, ttl);
				applied.countDown();
				try {
					reply.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				return extended;
			}
		};
		try (LockEngine service = Locksmith.builder(slowReply).clock(this.clock).build()) {
			LockHandle handle = service.acquire("k");
			this.clock.advance(Duration.ofSeconds(1));
			CompletableFuture<Void> extend = CompletableFuture.runAsync(() -> handle.extend(Duration.ofSeconds(3)));
			try {
				assertThat(applied.await(30, TimeUnit.SECONDS)).isTrue();
				// the backend now expires the lease 3 s after the extend; its reply has not arrived
				assertThat(handle.remaining()).as("the local deadline never exceeds the backend's expiry")
					.isLessThanOrEqualTo(backendRemaining("k"));
				this.clock.advance(Duration.ofSeconds(4));
				assertThat(handle.isValid()).as("valid after the backend expired the lease").isFalse();
			}
			finally {
				reply.countDown(); // close() waits for the extend in flight
			}
			extend.get(30, TimeUnit.SECONDS);
			assertThat(handle.isValid()).isFalse();
		}
	}

}
