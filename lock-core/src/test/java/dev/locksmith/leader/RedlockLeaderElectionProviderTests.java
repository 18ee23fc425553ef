package dev.locksmith.leader;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.locksmith.provider.redis.RedlockLockProvider;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.testsupport.RedisTestServer;

/**
 * {@link AbstractLeaderElectionProviderTests} on Redlock over three real, independent Redis servers.
 */
class RedlockLeaderElectionProviderTests extends AbstractLeaderElectionProviderTests {

	private static final List<RedisTestServer> servers = new ArrayList<>();

	private static final List<RedisConnectionFactory> factories = new ArrayList<>();

	@BeforeAll
	static void startRedis() {
		for (int i = 0; i < 3; i++) {
			RedisTestServer server = new RedisTestServer();
			servers.add(server);
			factories.add(server.connectionFactory());
		}
	}

	@AfterAll
	static void stopRedis() {
		factories.forEach((factory) -> ((LettuceConnectionFactory) factory).destroy());
		servers.forEach(RedisTestServer::close);
		factories.clear();
		servers.clear();
	}

	@Override
	protected LockProvider newProvider() {
		return RedlockLockProvider.builder(factories).build();
	}

	/** Redlock's tokens are not guaranteed to increase (docs/redis.md, "What it cannot promise"). */
	@Override
	protected boolean termsStrictlyIncrease() {
		return false;
	}

}
