package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.List;

import dev.locksmith.spi.LockProvider;
import dev.locksmith.tck.LockProviderContractTests;
import dev.locksmith.testsupport.RedisSentinelTestServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The provider contract kit (including its 16-thread contention case) through Redis Sentinel: one primary,
 * one replica and three sentinels on loopback, with the two services on two independent Sentinel-aware
 * connection factories (Spring Data's {@code RedisSentinelConfiguration}). Skipped, naming the package,
 * without a {@code redis-server} on the {@code PATH}.
 */
class RedisSentinelLockProviderContractTests extends LockProviderContractTests {

	private static @Nullable RedisSentinelTestServer sentinel;

	private static List<LettuceConnectionFactory> factories = List.of();

	private int created;

	@BeforeAll
	static void startSentinel() {
		if (RedisSentinelTestServer.isInstalled()) {
			sentinel = new RedisSentinelTestServer();
			factories = List.of(sentinel.connectionFactory(Duration.ofSeconds(1)),
					sentinel.connectionFactory(Duration.ofSeconds(1)));
		}
	}

	@AfterAll
	static void stopSentinel() {
		factories.forEach(LettuceConnectionFactory::destroy);
		if (sentinel != null) {
			sentinel.close();
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
		RedisSentinelTestServer.assumeInstalled();
		return RedisLockProvider.builder(factories.get(this.created++ % 2)).build();
	}

}
