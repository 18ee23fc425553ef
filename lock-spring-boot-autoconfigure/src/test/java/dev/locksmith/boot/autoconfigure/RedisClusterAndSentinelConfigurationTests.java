package dev.locksmith.boot.autoconfigure;

import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.locksmith.LockHandle;
import dev.locksmith.MutexService;
import dev.locksmith.provider.redis.RedisLockProvider;
import dev.locksmith.provider.redis.RedisLockProviderAccess;
import dev.locksmith.testsupport.RedisClusterTestServer;
import dev.locksmith.testsupport.RedisSentinelTestServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Redis provider on Boot's own connection factory for a Redis Cluster
 * ({@code spring.data.redis.cluster.nodes}) and for Sentinel ({@code spring.data.redis.sentinel.*}),
 * against a real local cluster and a real primary/replica/sentinels set. Skipped, naming the package,
 * without a {@code redis-server} on the {@code PATH}.
 */
class RedisClusterAndSentinelConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class, LocksmithAutoConfiguration.class));

	@Test
	void clusterNodesPropertyGivesALockProviderOnTheCluster() {
		RedisClusterTestServer.assumeInstalled();
		try (RedisClusterTestServer cluster = new RedisClusterTestServer()) {
			String nodes = cluster.ports().stream().map((port) -> "127.0.0.1:" + port).collect(Collectors.joining(","));
			this.contextRunner
				.withPropertyValues("locksmith.provider=redis", "spring.data.redis.cluster.nodes=" + nodes,
						"spring.data.redis.timeout=2s")
				.run((context) -> {
					assertThat(context).hasSingleBean(RedisLockProvider.class);
					assertThat(context.getBean(LettuceConnectionFactory.class).isClusterAware()).isTrue();
					assertLocksWork(context.getBean(MutexService.class));
				});
		}
	}

	@Test
	void shardedReleasesPropertyChoosesTheReleaseChannelOnTheCluster() {
		RedisClusterTestServer.assumeInstalled();
		try (RedisClusterTestServer cluster = new RedisClusterTestServer()) {
			String nodes = cluster.ports().stream().map((port) -> "127.0.0.1:" + port).collect(Collectors.joining(","));
			ApplicationContextRunner onCluster = this.contextRunner.withPropertyValues("locksmith.provider=redis",
					"spring.data.redis.cluster.nodes=" + nodes, "spring.data.redis.timeout=2s");
			onCluster.run((context) -> {
				assertThat(RedisLockProviderAccess.shardedReleases(context.getBean(RedisLockProvider.class)))
					.as("shard channels by default on a Redis 7 cluster").isTrue();
				assertLocksWork(context.getBean(MutexService.class));
			});
			onCluster.withPropertyValues("locksmith.redis.sharded-releases=false").run((context) -> {
				assertThat(RedisLockProviderAccess.shardedReleases(context.getBean(RedisLockProvider.class)))
					.as("locksmith.redis.sharded-releases=false keeps the classic channel").isFalse();
				assertLocksWork(context.getBean(MutexService.class));
			});
		}
	}

	@Test
	void sentinelPropertiesGiveALockProviderOnThePrimary() {
		RedisSentinelTestServer.assumeInstalled();
		try (RedisSentinelTestServer sentinel = new RedisSentinelTestServer()) {
			this.contextRunner
				.withPropertyValues("locksmith.provider=redis",
						"spring.data.redis.sentinel.master=" + RedisSentinelTestServer.MASTER_NAME,
						"spring.data.redis.sentinel.nodes=" + sentinel.sentinelNodes(), "spring.data.redis.timeout=2s",
						"locksmith.redis.min-replicas=1")
				.run((context) -> {
					assertThat(context).hasSingleBean(RedisLockProvider.class);
					assertThat(context.getBean(LettuceConnectionFactory.class).getSentinelConfiguration()).isNotNull();
					assertLocksWork(context.getBean(MutexService.class));
				});
		}
	}

	private static void assertLocksWork(MutexService locks) {
		for (int i = 0; i < 30; i++) {
			try (LockHandle handle = locks.acquire("order:" + i)) {
				assertThat(handle.fencingToken()).isPositive();
				assertThat(locks.isLocked("order:" + i)).isTrue();
			}
			assertThat(locks.isLocked("order:" + i)).isFalse();
		}
	}

}
