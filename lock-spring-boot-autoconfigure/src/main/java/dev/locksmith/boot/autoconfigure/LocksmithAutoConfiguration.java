package dev.locksmith.boot.autoconfigure;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

import dev.locksmith.LockListener;
import dev.locksmith.LockObserver;
import dev.locksmith.Locksmith;
import dev.locksmith.MutexService;
import dev.locksmith.boot.event.LockApplicationEventPublisher;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.spi.LockProvider;

/**
 * Auto-configuration of the {@link MutexService}: a {@link LockEngine} on the {@link LockProvider} chosen
 * by {@code locksmith.provider} (memory by default; Redis from the application's
 * {@code RedisConnectionFactory}, JDBC from its {@code DataSource}), with every {@link LockListener} bean
 * attached and the {@link LockObserver} bean, if any, as its instrumentation hook. With
 * {@code locksmith.events.enabled=true}, lock events are also published as Spring application events. Runs after Boot's Redis and DataSource auto-configurations; every bean backs off when the
 * application defines its own.
 */
@AutoConfiguration(afterName = { "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
		"org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration" })
@EnableConfigurationProperties(LocksmithProperties.class)
@Import({ RedisProviderConfigurations.Single.class, RedisProviderConfigurations.Redlock.class,
		JdbcProviderConfiguration.class, EtcdProviderConfiguration.class, KubernetesProviderConfiguration.class,
		LockProviderConfigurations.Memory.class,
		LockProviderConfigurations.Unavailable.class })
public final class LocksmithAutoConfiguration {

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean(MutexService.class)
	LockEngine locksmithLockEngine(LockProvider locksmithLockProvider, LocksmithProperties properties,
			ObjectProvider<LockListener> listeners, ObjectProvider<LockObserver> observer) {
		Locksmith.Builder builder = Locksmith.builder(locksmithLockProvider)
			.ownerId(properties.getOwnerId())
			.keyPrefix(properties.getKeyPrefix())
			.defaults(properties.toLockOptions());
		listeners.orderedStream().forEach(builder::listener);
		observer.ifUnique(builder::observer);
		return builder.build();
	}

	@Bean
	@ConditionalOnBooleanProperty("locksmith.events.enabled")
	@ConditionalOnMissingBean
	LockApplicationEventPublisher locksmithLockApplicationEventPublisher(ApplicationEventPublisher publisher) {
		return new LockApplicationEventPublisher(publisher);
	}

}
