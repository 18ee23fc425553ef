package dev.locksmith.boot.autoconfigure;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.locksmith.MutexService;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.spi.LockProvider;

/**
 * The in-memory provider configuration and the fallback that explains a provider that could not be
 * configured, imported by {@link LocksmithAutoConfiguration} after the Redis, JDBC and etcd ones; each backs off
 * when a {@link LockProvider} or {@link MutexService} bean exists.
 */
abstract class LockProviderConfigurations {

	private LockProviderConfigurations() {
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingBean({ LockProvider.class, MutexService.class })
	@ConditionalOnProperty(name = "locksmith.provider", havingValue = "memory", matchIfMissing = true)
	static class Memory {

		@Bean(destroyMethod = "close")
		MemoryLockProvider locksmithLockProvider() {
			return new MemoryLockProvider();
		}

	}

	/**
	 * Reached when the chosen provider could not be configured (its libraries are missing): fails startup
	 * with a message that says what to add.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingBean({ LockProvider.class, MutexService.class })
	static class Unavailable {

		@Bean
		LockProvider locksmithLockProvider(LocksmithProperties properties) {
			String provider = properties.getProvider().name().toLowerCase(java.util.Locale.ROOT);
			String needs = switch (properties.getProvider()) {
				case REDIS -> "spring-data-redis (spring-boot-starter-data-redis) and lock-core's Redis provider "
						+ "(dev.locksmith.provider.redis.RedisLockProvider) on the classpath";
				case JDBC -> "spring-jdbc (spring-boot-starter-jdbc) and lock-core's JDBC provider "
						+ "(dev.locksmith.provider.jdbc.JdbcLockProvider) on the classpath";
				case ETCD -> "the etcd Java client io.etcd:jetcd-core (0.8.x) and lock-core's etcd provider "
						+ "(dev.locksmith.provider.etcd.EtcdLockProvider) on the classpath";
				case KUBERNETES -> "the fabric8 client io.fabric8:kubernetes-client with io.fabric8:kubernetes-httpclient-jdk "
						+ "(8.0.x) and the dev.locksmith:lock-kubernetes module "
						+ "(dev.locksmith.provider.kubernetes.KubernetesLockProvider) on the classpath";
				default -> "a provider implementation on the classpath";
			};
			throw new IllegalStateException(
					"locksmith.provider=" + provider + " could not be configured: it needs " + needs);
		}

	}

}
