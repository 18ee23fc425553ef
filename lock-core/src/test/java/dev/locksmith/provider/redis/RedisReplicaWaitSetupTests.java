package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.testsupport.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Replica confirmation on a factory it cannot serve (a Redis Cluster) is a clear configuration error when
 * the provider is built, not an outage reported by every acquisition.
 */
class RedisReplicaWaitSetupTests {

	private static RedisTestServer redis;

	@BeforeAll
	static void start() {
		redis = new RedisTestServer();
	}

	@AfterAll
	static void stop() {
		redis.close();
	}

	@Test
	void minReplicasOnAClusterFactoryIsRejectedWhenBuilt() {
		RedisClusterConfiguration cluster = new RedisClusterConfiguration(List.of(redis.host() + ":" + redis.port()));
		LettuceConnectionFactory factory = new LettuceConnectionFactory(cluster, LettuceClientConfiguration.builder()
			.commandTimeout(Duration.ofSeconds(1))
			.clientOptions(RedisClientSettings.clientOptions(Duration.ofSeconds(1)))
			.build());
		factory.afterPropertiesSet();
		factory.start();
		try {
			assertThatIllegalArgumentException().isThrownBy(() -> {
				try (RedisLockProvider provider = RedisLockProvider.builder(factory).minReplicas(1).build()) {
					provider.acquire(new LeaseRequest("lock:" + UUID.randomUUID(), LeaseType.WRITE,
							UUID.randomUUID().toString(), "owner", Duration.ofSeconds(5), 1, 1, Map.of()));
				}
			}).withMessageContaining("minReplicas").withMessageContaining("Cluster");
		}
		finally {
			factory.destroy();
		}
	}

}
