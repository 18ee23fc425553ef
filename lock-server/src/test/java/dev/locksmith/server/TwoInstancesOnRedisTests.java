package dev.locksmith.server;

import java.util.ArrayList;
import java.util.List;

import dev.locksmith.provider.redis.RedisLockProvider;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.testsupport.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Two instances on one real Redis server, each with its own connection and {@link RedisLockProvider}.
 */
class TwoInstancesOnRedisTests extends AbstractTwoInstancesTests {

	private static RedisTestServer redis;

	private final List<RedisLockProvider> providers = new ArrayList<>();

	private final List<LettuceConnectionFactory> factories = new ArrayList<>();

	@BeforeAll
	static void startRedis() {
		redis = new RedisTestServer();
	}

	@AfterAll
	static void stopRedis() {
		redis.close();
	}

	@Override
	LockProvider backendClient() {
		LettuceConnectionFactory factory = redis.connectionFactory();
		this.factories.add(factory);
		RedisLockProvider provider = RedisLockProvider.builder(factory).build();
		this.providers.add(provider);
		return provider;
	}

	@Override
	void closeBackendClients() {
		this.providers.forEach(RedisLockProvider::close);
		this.factories.forEach(LettuceConnectionFactory::destroy);
	}

}
