package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.locksmith.LeaseType;
import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.testsupport.RedisTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Redlock over three real servers with nodes failing: one node down still works, two down fails
 * cleanly (an exception, and nothing left held on the node that answered).
 */
class RedlockNodeFailureTests {

	private final List<RedisTestServer> servers = new ArrayList<>();

	private final List<LettuceConnectionFactory> factories = new ArrayList<>();

	private RedlockLockProvider provider;

	private LockEngine locks;

	@BeforeEach
	void start() {
		for (int i = 0; i < 3; i++) {
			RedisTestServer server = new RedisTestServer();
			this.servers.add(server);
			this.factories.add(server.connectionFactory());
		}
		this.provider = RedlockLockProvider.builder(new ArrayList<RedisConnectionFactory>(this.factories)).build();
		this.locks = Locksmith.builder(this.provider).keyPrefix("redlock:").build();
	}

	@AfterEach
	void stop() {
		this.locks.close();
		this.provider.close();
		this.factories.forEach(LettuceConnectionFactory::destroy);
		this.servers.forEach(RedisTestServer::close);
	}

	@Test
	void theLeaseIsOnEveryNodeAndTheQuorumIsAMajority() {
		assertThat(this.provider.quorum()).isEqualTo(2);
		assertThat(this.provider.name()).isEqualTo("redlock");
		try (LockHandle handle = this.locks.acquire("all")) {
			for (LettuceConnectionFactory factory : this.factories) {
				assertThat(new RedisLeaseNode(factory, RedisLockProvider.DEFAULT_CHANNEL).inspect("redlock:all"))
					.singleElement()
					.satisfies((lease) -> assertThat(lease.leaseId()).isEqualTo(handle.leaseId()));
			}
		}
		for (LettuceConnectionFactory factory : this.factories) {
			assertThat(new RedisLeaseNode(factory, RedisLockProvider.DEFAULT_CHANNEL).inspect("redlock:all")).isEmpty();
		}
	}

	@Test
	void oneNodeDownStillLocksExcludesRenewsAndReleases() {
		this.servers.get(1).stop();
		this.provider.ping();
		LockHandle held = this.locks.acquire("one-down", LockOptions.ttl(Duration.ofMillis(900)).withAutoExtend(true));
		LeaseRequest competitor = RedisLockProviderTests.request("redlock:one-down", LeaseType.WRITE,
				Duration.ofSeconds(5));
		Grant denied = this.provider.acquire(competitor);
		assertThat(denied.isGranted()).isFalse();
		org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> held.renewals() >= 2);
		assertThat(held.isValid()).isTrue();
		assertThat(this.locks.inspect("one-down").leases()).singleElement()
			.satisfies((lease) -> assertThat(lease.leaseId()).isEqualTo(held.leaseId()));
		held.close();
		assertThat(this.locks.isLocked("one-down")).isFalse();
		try (LockHandle next = this.locks.acquire("one-down")) {
			assertThat(next.fencingToken()).isGreaterThan(held.fencingToken());
		}
	}

	@Test
	void twoNodesDownFailsCleanlyAndLeavesNothingHeld() {
		this.servers.get(0).stop();
		this.servers.get(2).stop();
		assertThatExceptionOfType(LockProviderUnavailableException.class).isThrownBy(this.provider::ping);
		assertThatExceptionOfType(LockProviderUnavailableException.class)
			.isThrownBy(() -> this.locks.acquire("two-down", LockOptions.waitTime(Duration.ZERO)))
			.withMessageContaining("two-down");
		RedisLeaseNode survivor = new RedisLeaseNode(this.factories.get(1), RedisLockProvider.DEFAULT_CHANNEL);
		assertThat(survivor.inspect("redlock:two-down")).as("the partial grant was undone").isEmpty();
		assertThat(this.locks.activeLockCount()).isZero();

		this.servers.get(0).start();
		org.awaitility.Awaitility.await()
			.atMost(Duration.ofSeconds(10))
			.ignoreExceptions()
			.untilAsserted(this.provider::ping);
		try (LockHandle handle = this.locks.acquire("two-down")) {
			assertThat(handle.isValid()).isTrue();
		}
	}

	@Test
	void aHeldLeaseIsLostWhenTheQuorumGoesAway() throws Exception {
		LockHandle held = this.locks.acquire("lost", LockOptions.ttl(Duration.ofMillis(900)).withAutoExtend(true));
		java.util.concurrent.CountDownLatch lost = new java.util.concurrent.CountDownLatch(1);
		held.onLost(lost::countDown);
		this.servers.get(0).stop();
		this.servers.get(1).stop();
		assertThat(lost.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
		assertThat(held.isValid()).isFalse();
	}

	@Test
	void semaphoresNeedEnoughNodesThatHoldersCannotSpreadPastTheLimit() throws Exception {
		// limit 2 over 3 nodes: a majority would let 3 holders in (each node seeing only 2 of them)
		LockHandle first = this.locks.semaphore("sem", 2).acquire(1, LockOptions.waitTime(Duration.ZERO));
		LockHandle second = this.locks.semaphore("sem", 2).acquire(1, LockOptions.waitTime(Duration.ZERO));
		for (LettuceConnectionFactory factory : this.factories) {
			assertThat(new RedisLeaseNode(factory, RedisLockProvider.DEFAULT_CHANNEL).inspect("redlock:sem"))
				.as("every node holds both permits")
				.hasSize(2);
		}
		first.close();
		second.close();
		assertThat(this.locks.semaphore("sem", 2).available()).isEqualTo(2);

		this.servers.get(2).stop();
		assertThatExceptionOfType(LockProviderUnavailableException.class)
			.isThrownBy(() -> this.locks.semaphore("sem", 2).acquire(1, LockOptions.waitTime(Duration.ZERO)))
			.withMessageContaining("3 needed");
		try (LockHandle single = this.locks.semaphore("single", 1).acquire(1, LockOptions.waitTime(Duration.ZERO))) {
			assertThat(single.isValid()).as("a one-permit semaphore needs only a majority").isTrue();
		}
	}

	@Test
	void builderRejectsBadSettings() {
		assertThatIllegalArgumentException().isThrownBy(() -> RedlockLockProvider.builder(List.of()))
			.withMessageContaining("nodes");
		List<RedisConnectionFactory> nodes = new ArrayList<>(this.factories);
		assertThatIllegalArgumentException().isThrownBy(() -> RedlockLockProvider.builder(nodes).quorum(4))
			.withMessageContaining("quorum");
		assertThatIllegalArgumentException().isThrownBy(() -> RedlockLockProvider.builder(nodes).quorum(-1))
			.withMessageContaining("quorum");
	}

}
