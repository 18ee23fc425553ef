package dev.locksmith.provider.redis;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.locksmith.engine.AbstractMultiLockTests;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.testsupport.RedisTestServer;

/**
 * Multi-key locks on a real Redis server, the two services on two connection factories.
 */
class RedisMultiLockTests extends AbstractMultiLockTests {

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
