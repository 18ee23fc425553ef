package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.Renewal;
import dev.locksmith.testsupport.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * Redlock-specific rules against three real, independent Redis servers: the quorum must be a majority,
 * a re-sent acquisition keeps the quorum rule and the token rule, and permit leases lost without a
 * release are not remembered forever.
 */
class RedlockLockProviderTests {

	private static final List<RedisTestServer> servers = new ArrayList<>();

	private static final List<RedisConnectionFactory> factories = new ArrayList<>();

	private static final List<RedisLeaseNode> nodes = new ArrayList<>();

	private static RedlockLockProvider provider;

	@BeforeAll
	static void start() {
		for (int i = 0; i < 3; i++) {
			RedisTestServer server = new RedisTestServer();
			servers.add(server);
			LettuceConnectionFactory factory = server.connectionFactory();
			factories.add(factory);
			nodes.add(new RedisLeaseNode(factory, RedisLockProvider.DEFAULT_CHANNEL));
		}
		provider = RedlockLockProvider.builder(factories).build();
	}

	@AfterAll
	static void stop() {
		provider.close();
		factories.forEach((factory) -> ((LettuceConnectionFactory) factory).destroy());
		servers.forEach(RedisTestServer::close);
	}

	@Test
	void aQuorumOfHalfTheNodesOrLessIsRejected() {
		assertThatIllegalArgumentException().isThrownBy(() -> RedlockLockProvider.builder(factories).quorum(1))
			.withMessageContaining("quorum 1")
			.withMessageContaining("3 nodes");
		List<RedisConnectionFactory> four = new ArrayList<>(factories);
		four.add(factories.get(0));
		assertThatIllegalArgumentException().isThrownBy(() -> RedlockLockProvider.builder(four).quorum(2))
			.withMessageContaining("quorum 2")
			.withMessageContaining("4 nodes");
		try (RedlockLockProvider two = RedlockLockProvider.builder(factories).quorum(2).build()) {
			assertThat(two.quorum()).isEqualTo(2);
		}
		try (RedlockLockProvider majority = RedlockLockProvider.builder(four).build()) {
			assertThat(majority.quorum()).isEqualTo(3);
		}
	}

	@Test
	void aResendThatFindsTheLeaseOnSomeNodesOnlyGrantsItOnTheOthersWithTheHighestToken() {
		String key = key();
		LeaseRequest request = write(key, Duration.ofSeconds(30));
		// The first attempt reached two nodes; the third lost it (or never got it).
		long t0 = nodes.get(0).acquire(request, null, false).fencingToken();
		long t1 = nodes.get(1).acquire(request, null, false).fencingToken();
		Grant resent = provider.acquire(request);
		assertThat(resent.isGranted()).isTrue();
		long t2 = nodes.get(2).inspect(key).get(0).fencingToken();
		assertThat(List.of(nodes.get(0).inspect(key).get(0).fencingToken(), nodes.get(1).inspect(key).get(0).fencingToken()))
			.as("the nodes that held the lease keep their tokens")
			.containsExactly(t0, t1);
		assertThat(resent.fencingToken()).as("the highest token among the nodes that hold the lease")
			.isEqualTo(Math.max(t0, Math.max(t1, t2)));
		assertThat(provider.inspect(key).leases()).singleElement()
			.satisfies((lease) -> assertThat(lease.fencingToken()).isEqualTo(resent.fencingToken()));
		assertThat(provider.acquire(request).fencingToken()).as("a second re-send finds it everywhere")
			.isEqualTo(resent.fencingToken());
		assertThat(provider.release(request.ref())).isTrue();
	}

	@Test
	void aResendHeldOnAMinorityWhileAnotherLeaseHoldsAQuorumIsDeniedAndUndone() {
		String key = key();
		LeaseRequest stale = write(key, Duration.ofSeconds(30));
		LeaseRequest other = write(key, Duration.ofSeconds(30));
		nodes.get(0).acquire(stale, null, false);
		assertThat(nodes.get(1).acquire(other, null, false).isGranted()).isTrue();
		assertThat(nodes.get(2).acquire(other, null, false).isGranted()).isTrue();
		assertThat(provider.acquire(stale).isGranted()).isFalse();
		assertThat(nodes.get(0).inspect(key)).as("the denied re-send undid its own copy").isEmpty();
		assertThat(provider.inspect(key).leases()).extracting(LeaseInfo::leaseId).containsExactly(other.leaseId());
		assertThat(provider.release(other.ref())).isTrue();
	}

	@Test
	void permitLeasesLostWithoutAReleaseAreForgotten() {
		String key = key();
		// 2 s, not less: both grants must be tracked before the first one's validity runs out on a loaded machine
		LeaseRequest lost = permits(key, Duration.ofSeconds(2));
		LeaseRequest renewedAfterLoss = permits(key, Duration.ofSeconds(2));
		assertThat(provider.acquire(lost).isGranted()).isTrue();
		assertThat(provider.acquire(renewedAfterLoss).isGranted()).isTrue();
		assertThat(provider.trackedPermitLeases()).isEqualTo(2);
		await().atMost(Duration.ofSeconds(10)).until(() -> !provider.inspect(key).isLocked());
		assertThat(provider.renew(List.of(new Renewal(renewedAfterLoss.ref(), Duration.ofSeconds(5))))).isEmpty();
		assertThat(provider.trackedPermitLeases()).as("a renewal that finds the lease gone forgets it").isEqualTo(1);
		LeaseRequest next = permits(key, Duration.ofSeconds(30));
		assertThat(provider.acquire(next).isGranted()).isTrue();
		assertThat(provider.trackedPermitLeases()).as("expired entries are swept on the next permit grant")
			.isEqualTo(1);
		assertThat(provider.release(next.ref())).isTrue();
		assertThat(provider.trackedPermitLeases()).isZero();
	}

	private static LeaseRequest write(String key, Duration ttl) {
		return new LeaseRequest(key, LeaseType.WRITE, UUID.randomUUID().toString(), "owner", ttl, 1, 1, Map.of());
	}

	private static LeaseRequest permits(String key, Duration ttl) {
		return new LeaseRequest(key, LeaseType.PERMITS, UUID.randomUUID().toString(), "owner", ttl, 1, 2, Map.of());
	}

	private static String key() {
		return "redlock:" + UUID.randomUUID();
	}

}
