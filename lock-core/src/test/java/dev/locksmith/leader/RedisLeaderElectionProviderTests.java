package dev.locksmith.leader;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.locksmith.provider.redis.RedisLockProvider;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.testsupport.RedisTestServer;

/**
 * {@link AbstractLeaderElectionProviderTests} on a real Redis server.
 */
class RedisLeaderElectionProviderTests extends AbstractLeaderElectionProviderTests {

	private static RedisTestServer redis;

	private static LettuceConnectionFactory factory;

	@BeforeAll
	static void startRedis() {
		redis = new RedisTestServer();
		factory = redis.connectionFactory();
	}

	@AfterAll
	static void stopRedis() {
		factory.destroy();
		redis.close();
	}

	@Override
	protected LockProvider newProvider() {
		return RedisLockProvider.builder(factory).build();
	}

}
