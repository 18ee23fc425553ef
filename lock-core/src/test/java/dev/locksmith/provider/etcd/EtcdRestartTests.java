package dev.locksmith.provider.etcd;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.Client;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.ReleaseOutcome;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.spi.ReleaseSubscription;
import dev.locksmith.testsupport.EtcdTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * etcd restarts while a lock is held: with its data kept the holder keeps the lock; with its data wiped
 * the holder is told it lost the lock, and fencing tokens still increase although revisions restart at 1.
 */
class EtcdRestartTests {

	private EtcdTestServer etcd;

	private Client clientA;

	private Client clientB;

	private EtcdLockProvider providerA;

	private EtcdLockProvider providerB;

	private LockEngine a;

	private LockEngine b;

	@BeforeEach
	void start() {
		EtcdTestServer.assumeInstalled();
		this.etcd = new EtcdTestServer();
		this.clientA = this.etcd.client();
		this.clientB = this.etcd.client();
		this.providerA = EtcdLockProvider.builder(this.clientA).requestTimeout(Duration.ofSeconds(2)).build();
		this.providerB = EtcdLockProvider.builder(this.clientB).requestTimeout(Duration.ofSeconds(2)).build();
		this.a = Locksmith.builder(this.providerA).keyPrefix("restart:").build();
		this.b = Locksmith.builder(this.providerB).keyPrefix("restart:").build();
	}

	@AfterEach
	void stop() {
		if (this.etcd == null) {
			return;
		}
		this.a.close();
		this.b.close();
		this.providerA.close();
		this.providerB.close();
		this.clientA.close();
		this.clientB.close();
		this.etcd.close();
	}

	@Test
	void withItsDataKeptTheHolderKeepsTheLock() {
		LockHandle held = this.a.acquire("job", LockOptions.ttl(Duration.ofSeconds(6)).withAutoExtend(true));
		assertThat(this.b.tryAcquire("job")).isEmpty();

		this.etcd.stop();
		this.etcd.start();
		await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(this.providerB::ping);

		long renewalsAfterRestart = held.renewals();
		await().atMost(Duration.ofSeconds(15)).until(() -> held.renewals() > renewalsAfterRestart);
		assertThat(held.isValid()).as("the holder keeps the lock").isTrue();
		assertThat(this.b.tryAcquire("job")).as("and nobody else gets it").isEmpty();
		assertThat(this.a.statistics().lost()).isZero();
		assertThat(held.release()).isEqualTo(ReleaseOutcome.RELEASED);
		try (LockHandle next = this.b.acquire("job", LockOptions.waitTime(Duration.ZERO))) {
			assertThat(next.fencingToken()).isGreaterThan(held.fencingToken());
		}
	}

	@Test
	void withItsDataWipedTheHolderIsToldAndTokensStillIncrease() throws Exception {
		long highest = 0;
		for (int i = 0; i < 20; i++) {
			try (LockHandle handle = this.b.acquire("job")) {
				highest = Math.max(highest, handle.fencingToken());
			}
		}
		LockHandle held = this.a.acquire("job", LockOptions.ttl(Duration.ofSeconds(3)).withAutoExtend(true));
		highest = Math.max(highest, held.fencingToken());
		CountDownLatch lost = new CountDownLatch(1);
		held.onLost(lost::countDown);

		this.etcd.stopAndWipe();
		this.etcd.start();

		assertThat(lost.await(20, TimeUnit.SECONDS)).as("loss reported").isTrue();
		assertThat(held.isValid()).isFalse();
		await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(this.providerB::ping);
		for (int i = 0; i < 5; i++) {
			try (LockHandle next = this.b.acquire("job", LockOptions.waitTime(Duration.ofSeconds(10)))) {
				assertThat(next.fencingToken()).as("a token after the wipe is above every token before it")
					.isGreaterThan(highest);
				highest = next.fencingToken();
			}
		}
		assertThat(held.release()).isEqualTo(ReleaseOutcome.LOST);
	}

	@Test
	void afterAWipeReleasesWakeWaitersAgain() throws Exception {
		try (LockHandle before = this.a.acquire("warmup")) {
			assertThat(before.isValid()).isTrue();
		}
		this.etcd.stopAndWipe();
		this.etcd.start();
		await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(this.providerA::ping);

		LockHandle held = this.b.acquire("handoff", LockOptions.ttl(Duration.ofSeconds(60)));
		// provider A's first attempt after the wipe re-reads the data set's token base and restarts its watch
		try (ReleaseSubscription waiter = this.providerA.subscribe("restart:handoff")) {
			assertThat(this.a.tryAcquire("handoff")).isEmpty();
			while (waiter.await(0)) {
				// drain the wake-up the watch restart gives every waiter
			}
			held.release();
			assertThat(waiter.await(TimeUnit.SECONDS.toNanos(10))).as("woken by the release").isTrue();
		}
	}

}
