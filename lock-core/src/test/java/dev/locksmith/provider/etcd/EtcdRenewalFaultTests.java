package dev.locksmith.provider.etcd;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.Client;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.LockHandle;
import dev.locksmith.LockInfo;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.testsupport.EtcdTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Renewal when etcd stops answering ({@code SIGSTOP}): the renewal sent before the pause may be applied
 * after it, its reply long given up. Checked invariant, sampled through the pause and after it: whenever
 * the holder still calls its lock valid <em>after</em> a read of the server, that read showed its lease
 * (validity never comes back, so it was valid at the read too). So the holder never believes in a lease
 * the server dropped, a pause shorter than the TTL loses nothing, and the next holder gets a higher token
 * only after the first was told.
 */
class EtcdRenewalFaultTests {

	private EtcdTestServer etcd;

	private Client clientA;

	private Client clientB;

	private Client clientProbe;

	private EtcdLockProvider providerA;

	private EtcdLockProvider providerB;

	private EtcdLockProvider probe;

	private LockEngine a;

	private LockEngine b;

	/** Samples where the server answered and the holder still called its lock valid. */
	private int confirmedSamples;

	@BeforeEach
	void start() {
		EtcdTestServer.assumeInstalled();
		this.etcd = new EtcdTestServer();
		this.clientA = this.etcd.client();
		this.clientB = this.etcd.client();
		this.clientProbe = this.etcd.client();
		this.providerA = EtcdLockProvider.builder(this.clientA).requestTimeout(Duration.ofSeconds(1)).build();
		this.providerB = EtcdLockProvider.builder(this.clientB).requestTimeout(Duration.ofSeconds(1)).build();
		this.probe = EtcdLockProvider.builder(this.clientProbe).requestTimeout(Duration.ofMillis(500)).build();
		this.a = Locksmith.builder(this.providerA).keyPrefix("pause:").build();
		this.b = Locksmith.builder(this.providerB).keyPrefix("pause:").build();
	}

	@AfterEach
	void stop() {
		if (this.etcd == null) {
			return;
		}
		if (this.etcd.isRunning()) {
			this.etcd.resume();
		}
		this.a.close();
		this.b.close();
		this.providerA.close();
		this.providerB.close();
		this.probe.close();
		this.clientA.close();
		this.clientB.close();
		this.clientProbe.close();
		this.etcd.close();
	}

	@Test
	void aPausePastTheTtlIsReportedAndTheHolderNeverOutlivesItsServerLease() throws Exception {
		LockHandle held = this.a.acquire("job", LockOptions.ttl(Duration.ofSeconds(2)).withAutoExtend(true));
		CountDownLatch lost = new CountDownLatch(1);
		held.onLost(lost::countDown);

		this.etcd.pause();
		long resumeAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
		while (System.nanoTime() - resumeAt < 0) {
			sampleInvariant(held);
		}
		this.etcd.resume();
		long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
		while (System.nanoTime() - until < 0) {
			sampleInvariant(held);
		}

		assertThat(lost.await(10, TimeUnit.SECONDS)).as("a pause longer than the TTL is reported as a loss").isTrue();
		try (LockHandle next = this.b.acquire("job", LockOptions.waitTime(Duration.ofSeconds(15)))) {
			assertThat(held.isValid()).as("the old holder was told before anyone else got the lock").isFalse();
			assertThat(next.fencingToken()).isGreaterThan(held.fencingToken());
		}
	}

	@Test
	void aPauseShorterThanTheTtlButLongerThanARequestLosesNothing() {
		LockHandle held = this.a.acquire("short", LockOptions.ttl(Duration.ofSeconds(6)).withAutoExtend(true));

		this.etcd.pause();
		long resumeAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
		while (System.nanoTime() - resumeAt < 0) {
			sampleInvariant(held);
		}
		this.etcd.resume();

		long renewals = held.renewals();
		await().atMost(Duration.ofSeconds(15)).until(() -> held.renewals() >= renewals + 2 || !held.isValid());
		assertThat(held.isValid()).as("renewals whose replies were lost in the pause are not taken for a loss")
			.isTrue();
		assertThat(this.a.statistics().lost()).isZero();
		sampleInvariant(held);
		assertThat(this.confirmedSamples).as("the invariant was checked against live answers").isPositive();
		assertThat(this.b.tryAcquire("short")).as("and nobody else gets it").isEmpty();
		held.release();
	}

	/** Reads the server, then asks the holder: valid afterwards means the read must show its lease. */
	private void sampleInvariant(LockHandle held) {
		LockInfo server;
		try {
			server = this.probe.inspect("pause:" + held.key());
		}
		catch (RuntimeException unavailable) {
			return;
		}
		boolean serverHasIt = server.leases().stream().anyMatch((lease) -> lease.fencingToken() == held.fencingToken());
		if (held.isValid()) {
			this.confirmedSamples++;
			assertThat(serverHasIt).as("the holder calls the lock valid but the server had dropped its lease: %s", server)
				.isTrue();
		}
	}

}
