package dev.locksmith.provider.redis;

import java.time.Duration;
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
class RedisLockProviderContractTests extends LockProviderContractTests {

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
		return RedisLockProvider.builder(factories.get(this.created++ % 2)).build();
	}

}
