package dev.locksmith.leader;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import dev.locksmith.testsupport.RedisTestServer;

/**
 * {@link AbstractLeaderElectionCrossProcessTests} on a real Redis server.
 */
class RedisLeaderElectionCrossProcessTests extends AbstractLeaderElectionCrossProcessTests {

	private static RedisTestServer redis;

	@BeforeAll
	static void startRedis() {
		redis = new RedisTestServer();
	}

	@AfterAll
	static void stopRedis() {
		redis.close();
	}

	@Override
	protected List<String> backend() {
		return List.of("redis", Integer.toString(redis.port()));
	}

}
