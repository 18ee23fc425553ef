package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.locksmith.LeaseType;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.testsupport.RedisTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Redlock's semaphore rule (a permit lease needs more than N·L/(L+1) of N nodes) holds for every limit,
 * including the largest: for three nodes and any limit of 2 or more, all three must grant.
 */
class RedlockSemaphoreQuorumTests {

	private final List<RedisTestServer> servers = new ArrayList<>();

	private final List<LettuceConnectionFactory> factories = new ArrayList<>();

	private RedlockLockProvider provider;

	@BeforeEach
	void start() {
		for (int i = 0; i < 3; i++) {
			RedisTestServer server = new RedisTestServer();
			this.servers.add(server);
			this.factories.add(server.connectionFactory());
		}
		this.provider = RedlockLockProvider.builder(new ArrayList<RedisConnectionFactory>(this.factories)).build();
	}

	@AfterEach
	void stop() {
		this.provider.close();
		this.factories.forEach(LettuceConnectionFactory::destroy);
		this.servers.forEach(RedisTestServer::close);
	}

	@Test
	void aSemaphoreWithTheLargestLimitNeedsEveryNode() {
		this.servers.get(2).stop();
		for (int limit : new int[] { 2, 1_000_000, Integer.MAX_VALUE - 1, Integer.MAX_VALUE }) {
			LeaseRequest request = new LeaseRequest("sem:" + UUID.randomUUID(), LeaseType.PERMITS,
					UUID.randomUUID().toString(), "owner", Duration.ofSeconds(30), 1, limit, Map.of());
			boolean granted;
			try {
				granted = this.provider.acquire(request).isGranted();
			}
			catch (LockProviderUnavailableException ex) {
				granted = false;
			}
			assertThat(granted).as("limit " + limit + " with one of three nodes down").isFalse();
		}
	}

}
