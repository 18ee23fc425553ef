package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.locksmith.spi.LockProvider;
import dev.locksmith.tck.LockProviderContractTests;
import dev.locksmith.testsupport.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The provider contract kit against Redlock over three real, independent Redis servers; the two
 * services use separate connection factories.
 */
class RedlockLockProviderContractTests extends LockProviderContractTests {

	private static final List<RedisTestServer> servers = new ArrayList<>();

	private static final List<List<RedisConnectionFactory>> clients = new ArrayList<>();

	private int created;

	@BeforeAll
	static void startRedis() {
		for (int i = 0; i < 3; i++) {
			servers.add(new RedisTestServer());
		}
		for (int client = 0; client < 2; client++) {
			List<RedisConnectionFactory> factories = new ArrayList<>();
			servers.forEach((server) -> factories.add(server.connectionFactory()));
			clients.add(factories);
		}
	}

	@AfterAll
	static void stopRedis() {
		clients.forEach((factories) -> factories.forEach((factory) -> ((LettuceConnectionFactory) factory).destroy()));
		servers.forEach(RedisTestServer::close);
		clients.clear();
		servers.clear();
	}

	/**
	 * 500 ms instead of 300 ms: a lease must not run out while the test thread waits for the CPU on a busy
	 * shared machine (every call is a network round trip here).
	 */
	@Override
	protected Duration shortTtl() {
		return Duration.ofMillis(500);
	}

	@Override
	protected LockProvider newProvider() {
		return RedlockLockProvider.builder(clients.get(this.created++ % 2)).build();
	}

	@Override
	protected int contentionIterations() {
		return 15;
	}

}
