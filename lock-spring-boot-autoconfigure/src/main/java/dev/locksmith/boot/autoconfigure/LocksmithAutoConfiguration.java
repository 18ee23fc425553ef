package dev.locksmith.boot.autoconfigure;

import java.util.concurrent.ThreadFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.thread.Threading;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.core.task.VirtualThreadTaskExecutor;

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
 *
 * <p>Threads: the engine's callback and {@code onLost} threads and the leader-election threads come from the
 * {@link ThreadFactory} bean named {@value #THREAD_FACTORY_BEAN_NAME}: virtual threads when
 * {@code spring.threads.virtual.enabled=true} (JDK 21+), daemon platform threads otherwise; an application
 * bean of that name replaces it. The renewal thread stays a platform thread.
 */
@AutoConfiguration(afterName = { "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
		"org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration" })
@EnableConfigurationProperties(LocksmithProperties.class)
@Import({ RedisProviderConfigurations.Single.class, RedisProviderConfigurations.Redlock.class,
		JdbcProviderConfiguration.class, EtcdProviderConfiguration.class, KubernetesProviderConfiguration.class,
		LockProviderConfigurations.Memory.class,
		LockProviderConfigurations.Unavailable.class })
public final class LocksmithAutoConfiguration {

	/**
	 * The name of the {@link ThreadFactory} bean that makes the threads Locksmith runs callbacks, events and
	 * leader elections on.
	 */
	public static final String THREAD_FACTORY_BEAN_NAME = "locksmithThreadFactory";

	@Bean(name = THREAD_FACTORY_BEAN_NAME, defaultCandidate = false)
	@ConditionalOnMissingBean(name = THREAD_FACTORY_BEAN_NAME)
	ThreadFactory locksmithThreadFactory(Environment environment) {
		if (Threading.VIRTUAL.isActive(environment)) {
			return new VirtualThreadTaskExecutor("locksmith-").getVirtualThreadFactory();
		}
		return (runnable) -> {
			Thread thread = new Thread(runnable);
			thread.setDaemon(true);
			return thread;
		};
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean(MutexService.class)
	LockEngine locksmithLockEngine(LockProvider locksmithLockProvider, LocksmithProperties properties,
			ObjectProvider<LockListener> listeners, ObjectProvider<LockObserver> observer,
			@Qualifier(THREAD_FACTORY_BEAN_NAME) ThreadFactory threadFactory) {
		Locksmith.Builder builder = Locksmith.builder(locksmithLockProvider)
			.threadFactory(threadFactory)
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
