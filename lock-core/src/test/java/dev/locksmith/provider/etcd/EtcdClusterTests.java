package dev.locksmith.provider.etcd;

import java.time.Duration;
import java.util.List;

import io.etcd.jetcd.Client;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.ReleaseOutcome;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.testsupport.EtcdTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A three-member etcd cluster with one member stopped keeps its quorum: a holder keeps its lock and
 * renews it, others are still excluded, and new grants keep increasing tokens.
 */
class EtcdClusterTests {

	private List<EtcdTestServer> members;

	private Client clientA;

	private Client clientB;

	@BeforeEach
	void start() {
		EtcdTestServer.assumeInstalled();
		this.members = EtcdTestServer.cluster(3);
		String[] endpoints = this.members.stream().map(EtcdTestServer::endpoint).toArray(String[]::new);
		this.clientA = Client.builder().endpoints(endpoints).connectTimeout(Duration.ofSeconds(1)).build();
		this.clientB = Client.builder().endpoints(endpoints).connectTimeout(Duration.ofSeconds(1)).build();
	}

	@AfterEach
	void stop() {
		if (this.members != null) {
			this.clientA.close();
			this.clientB.close();
			this.members.forEach(EtcdTestServer::close);
		}
	}

	@Test
	void oneStoppedMemberOfThreeDoesNotLoseOrDuplicateALock() {
		try (EtcdLockProvider providerA = EtcdLockProvider.builder(this.clientA).build();
				EtcdLockProvider providerB = EtcdLockProvider.builder(this.clientB).build();
				LockEngine a = Locksmith.builder(providerA).build();
				LockEngine b = Locksmith.builder(providerB).build()) {
			LockHandle held = a.acquire("cluster-job", LockOptions.ttl(Duration.ofSeconds(3)).withAutoExtend(true));
			this.members.get(0).stop();

			long renewals = held.renewals();
			await().atMost(Duration.ofSeconds(20)).until(() -> held.renewals() >= renewals + 2);
			assertThat(held.isValid()).isTrue();
			assertThat(b.tryAcquire("cluster-job")).as("still excluded with a member down").isEmpty();
			assertThat(held.release()).isEqualTo(ReleaseOutcome.RELEASED);
			try (LockHandle next = b.acquire("cluster-job", LockOptions.waitTime(Duration.ofSeconds(10)))) {
				assertThat(next.fencingToken()).isGreaterThan(held.fencingToken());
			}
			assertThat(a.statistics().lost()).isZero();
		}
	}

}
