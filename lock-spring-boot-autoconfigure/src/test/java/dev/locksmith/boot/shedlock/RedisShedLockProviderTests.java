package dev.locksmith.boot.shedlock;

import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.locksmith.Locksmith;
import dev.locksmith.MutexService;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.provider.redis.RedisLockProvider;
import dev.locksmith.testsupport.RedisTestServer;

/**
 * {@link AbstractShedLockProviderTests} on a real Redis server (time passes for real; the tests wait for
 * expiry with Awaitility).
 */
class RedisShedLockProviderTests extends AbstractShedLockProviderTests {

	private static RedisTestServer redis;

	private static LettuceConnectionFactory factory;

	private RedisLockProvider provider;

	private LockEngine locks;

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

	@BeforeEach
	void createService() {
		this.provider = RedisLockProvider.builder(factory).build();
		this.locks = Locksmith.builder(this.provider).keyPrefix("shedlock-test-" + System.nanoTime() + ":").build();
	}

	@AfterEach
	void closeService() {
		this.locks.close();
		this.provider.close();
	}

	@Override
	protected MutexService locks() {
		return this.locks;
	}

	@Override
	protected void advance(Duration duration) {
	}

}
