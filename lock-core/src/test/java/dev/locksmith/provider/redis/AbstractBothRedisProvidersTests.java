package dev.locksmith.provider.redis;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.locksmith.testsupport.RedisTestServer;

/**
 * One real Redis server per test class and both Redis providers on it: the single-node provider and a
 * Redlock provider over that one node, for tests that check the same rule on both.
 */
abstract class AbstractBothRedisProvidersTests {

	/** The server, started once per test class. */
	protected static RedisTestServer redis;

	/** A connection factory to {@link #redis}. */
	protected static LettuceConnectionFactory factory;

	/** The single-node provider. */
	protected static RedisLockProvider single;

	/** A Redlock provider over the one node. */
	protected static RedlockLockProvider redlock;

	@BeforeAll
	static void startRedisAndProviders() {
		redis = new RedisTestServer();
		factory = redis.connectionFactory();
		single = RedisLockProvider.builder(factory).build();
		redlock = RedlockLockProvider.builder(List.<RedisConnectionFactory>of(factory)).build();
	}

	@AfterAll
	static void stopProvidersAndRedis() {
		single.close();
		redlock.close();
		factory.destroy();
		redis.close();
	}

}
