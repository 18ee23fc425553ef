package dev.locksmith.boot.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.locksmith.MutexService;
import dev.locksmith.provider.redis.RedisClientSettings;
import dev.locksmith.provider.redis.RedisLockProvider;
import dev.locksmith.provider.redis.RedlockLockProvider;
import dev.locksmith.spi.LockProvider;

/**
 * The Redis provider configurations: single mode on the application's {@link RedisConnectionFactory},
 * Redlock mode on one connection per {@code locksmith.redis.nodes} URL.
 */
abstract class RedisProviderConfigurations {

	private RedisProviderConfigurations() {
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = { "org.springframework.data.redis.connection.RedisConnectionFactory",
			"dev.locksmith.provider.redis.RedisLockProvider" })
	@ConditionalOnMissingBean({ LockProvider.class, MutexService.class })
	@ConditionalOnProperty(name = "locksmith.provider", havingValue = "redis")
	@ConditionalOnProperty(name = "locksmith.redis.mode", havingValue = "single", matchIfMissing = true)
	static class Single {

		@Bean(destroyMethod = "close")
		RedisLockProvider locksmithLockProvider(LocksmithProperties properties,
				ObjectProvider<RedisConnectionFactory> connectionFactory) {
			RedisConnectionFactory factory = connectionFactory.getIfUnique();
			if (factory == null) {
				throw new IllegalStateException("locksmith.provider=redis needs one RedisConnectionFactory bean: add "
						+ "spring-boot-starter-data-redis and configure spring.data.redis.* (or set "
						+ "locksmith.redis.mode=redlock with locksmith.redis.nodes)");
			}
			LocksmithProperties.Redis redis = properties.getRedis();
			return RedisLockProvider.builder(factory)
				.minReplicas(redis.getMinReplicas())
				.replicaTimeout(redis.getReplicaTimeout())
				.shardedReleases(redis.isShardedReleases())
				.build();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = { "org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory",
			"dev.locksmith.provider.redis.RedlockLockProvider" })
	@ConditionalOnMissingBean({ LockProvider.class, MutexService.class })
	@ConditionalOnProperty(name = "locksmith.provider", havingValue = "redis")
	@ConditionalOnProperty(name = "locksmith.redis.mode", havingValue = "redlock")
	static class Redlock {

		@Bean
		RedlockNodes locksmithRedlockNodes(LocksmithProperties properties) {
			return new RedlockNodes(properties.getRedis().getNodes(), properties.getRedis().getCommandTimeout());
		}

		@Bean(destroyMethod = "close")
		RedlockLockProvider locksmithLockProvider(LocksmithProperties properties, RedlockNodes locksmithRedlockNodes) {
			return RedlockLockProvider.builder(locksmithRedlockNodes.factories())
				.quorum(properties.getRedis().getQuorum())
				.build();
		}

	}

	/**
	 * One Lettuce connection factory per Redlock master, with the lock-suited settings of
	 * {@link RedisClientSettings} (the configured command timeout, also as connect timeout, and commands
	 * rejected at once while a master is disconnected, not buffered), destroyed with the context.
	 */
	static final class RedlockNodes implements DisposableBean {

		private final List<LettuceConnectionFactory> factories = new ArrayList<>();

		RedlockNodes(List<String> urls, Duration commandTimeout) {
			try {
				for (String url : urls) {
					LettuceConnectionFactory factory = connectionFactory(RedisNodeUrl.parse(url), commandTimeout);
					this.factories.add(factory);
					factory.afterPropertiesSet();
					factory.start();
				}
			}
			catch (RuntimeException ex) {
				destroy();
				throw ex;
			}
		}

		private static LettuceConnectionFactory connectionFactory(RedisNodeUrl node, Duration commandTimeout) {
			RedisStandaloneConfiguration configuration = new RedisStandaloneConfiguration(node.host(), node.port());
			configuration.setDatabase(node.database());
			if (node.username() != null) {
				configuration.setUsername(node.username());
			}
			if (node.password() != null) {
				configuration.setPassword(node.password());
			}
			return new LettuceConnectionFactory(configuration,
					RedisClientSettings.clientConfiguration(commandTimeout, node.ssl()));
		}

		List<RedisConnectionFactory> factories() {
			return List.copyOf(this.factories);
		}

		@Override
		public void destroy() {
			this.factories.forEach(LettuceConnectionFactory::destroy);
		}

	}

}
