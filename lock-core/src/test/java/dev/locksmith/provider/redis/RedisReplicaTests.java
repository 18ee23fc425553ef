package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.testsupport.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Replica confirmation ({@code minReplicas}) against a real primary with one real replica.
 */
class RedisReplicaTests {

	private static RedisTestServer primary;

	private static RedisTestServer replica;

	private static LettuceConnectionFactory primaryFactory;

	private static LettuceConnectionFactory replicaFactory;

	@BeforeAll
	static void startServers() {
		primary = new RedisTestServer();
		replica = RedisTestServer.replicaOf(primary);
		primaryFactory = primary.connectionFactory();
		replicaFactory = replica.connectionFactory();
		await().atMost(Duration.ofSeconds(15)).until(() -> {
			try (RedisConnection connection = primaryFactory.getConnection()) {
				Properties info = connection.serverCommands().info("replication");
				return "1".equals(info.getProperty("connected_slaves"))
						&& String.valueOf(info.getProperty("slave0")).contains("state=online");
			}
		});
	}

	@AfterAll
	static void stopServers() {
		primaryFactory.destroy();
		replicaFactory.destroy();
		replica.close();
		primary.close();
	}

	@Test
	void aGrantConfirmedByTheReplicaIsOnTheReplica() {
		try (RedisLockProvider provider = RedisLockProvider.builder(primaryFactory).minReplicas(1).build()) {
			LeaseRequest request = RedisLockProviderTests.request(RedisLockProviderTests.key(), LeaseType.WRITE,
					Duration.ofSeconds(30));
			Grant grant = provider.acquire(request);
			assertThat(grant.isGranted()).isTrue();
			assertThat(new RedisLeaseNode(replicaFactory, RedisLockProvider.DEFAULT_CHANNEL).inspect(request.key()))
				.as("WAIT returned only after the replica had the lease")
				.singleElement()
				.satisfies((lease) -> assertThat(lease.fencingToken()).isEqualTo(grant.fencingToken()));
			assertThat(provider.release(request.ref())).isTrue();
		}
	}

	@Test
	void tooFewReplicasMeansNotAcquiredAndNothingHeld() {
		try (RedisLockProvider provider = RedisLockProvider.builder(primaryFactory)
			.minReplicas(2)
			.replicaTimeout(Duration.ofMillis(100))
			.build()) {
			LeaseRequest request = RedisLockProviderTests.request(RedisLockProviderTests.key(), LeaseType.WRITE,
					Duration.ofSeconds(30));
			Grant grant = provider.acquire(request);
			assertThat(grant.isGranted()).isFalse();
			assertThat(provider.inspect(request.key()).isLocked()).isFalse();
		}
	}

	@Test
	void aPendingWaitDoesNotBlockTheApplicationsSharedConnection() throws Exception {
		LettuceConnectionFactory application = primary.connectionFactory(Duration.ofSeconds(20));
		try (RedisLockProvider provider = RedisLockProvider.builder(application)
			.minReplicas(2)
			.replicaTimeout(Duration.ofSeconds(5))
			.build()) {
			try (RedisConnection connection = application.getConnection()) {
				connection.ping(); // the shared connection is open
			}
			long blockedBefore = blockedClients();
			LeaseRequest request = RedisLockProviderTests.request(RedisLockProviderTests.key(), LeaseType.WRITE,
					Duration.ofSeconds(30));
			CompletableFuture<Grant> acquire = CompletableFuture.supplyAsync(() -> provider.acquire(request));
			await().atMost(Duration.ofSeconds(10)).until(() -> blockedClients() > blockedBefore);
			try (RedisConnection connection = application.getConnection()) {
				assertThat(connection.ping()).isEqualTo("PONG");
			}
			assertThat(blockedClients()).as("the WAIT is still pending after the application's PING returned")
				.isGreaterThan(blockedBefore);
			assertThat(acquire.get().isGranted()).as("only one replica, two required").isFalse();
			assertThat(provider.inspect(request.key()).isLocked()).isFalse();
		}
		finally {
			application.destroy();
		}
	}

	private static long blockedClients() {
		try (RedisConnection connection = primaryFactory.getConnection()) {
			return Long.parseLong(connection.serverCommands().info("clients").getProperty("blocked_clients").trim());
		}
	}

}
