package dev.locksmith.provider.redis;

import java.util.List;

import dev.locksmith.spi.LockProvider;
import dev.locksmith.tck.LockProviderContractTests;
import dev.locksmith.testsupport.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The provider contract kit against a real Redis server, with the two services on two independent
 * connection factories (two clients, as two processes would have).
 */
class RedisLockProviderContractTest extends LockProviderContractTests {

	private static RedisTestServer redis;

	private static List<LettuceConnectionFactory> factories;

	private int created;

	@BeforeAll
	static void startRedis() {
		redis = new RedisTestServer();
		factories = List.of(redis.connectionFactory(), redis.connectionFactory());
	}

	@AfterAll
	static void stopRedis() {
		factories.forEach(LettuceConnectionFactory::destroy);
		redis.close();
	}

	@Override
	protected LockProvider newProvider() {
		return RedisLockProvider.builder(factories.get(this.created++ % 2)).build();
	}

}
