package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.List;

import dev.locksmith.spi.LockProvider;
import dev.locksmith.tck.LockProviderContractTests;
import dev.locksmith.testsupport.RedisClusterTestServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The provider contract kit (including its 16-thread contention case) against a real local Redis Cluster of
 * three masters, through Spring Data Redis' cluster connection, with the two services on two independent
 * cluster-aware connection factories. Skipped, naming the package, without a {@code redis-server} on the
 * {@code PATH}.
 */
class RedisClusterLockProviderContractTests extends LockProviderContractTests {

	private static @Nullable RedisClusterTestServer cluster;

	private static List<LettuceConnectionFactory> factories = List.of();

	private int created;

	@BeforeAll
	static void startCluster() {
		if (RedisClusterTestServer.isInstalled()) {
			cluster = new RedisClusterTestServer();
			factories = List.of(cluster.connectionFactory(), cluster.connectionFactory());
		}
	}

	@AfterAll
	static void stopCluster() {
		factories.forEach(LettuceConnectionFactory::destroy);
		if (cluster != null) {
			cluster.close();
		}
	}

	/**
	 * 500 ms instead of 300 ms: a lease must not run out while the test thread waits for the CPU on a busy
	 * shared machine.
	 */
	@Override
	protected Duration shortTtl() {
		return Duration.ofMillis(500);
	}

	@Override
	protected LockProvider newProvider() {
		RedisClusterTestServer.assumeInstalled();
		return RedisLockProvider.builder(factories.get(this.created++ % 2)).build();
	}

}
