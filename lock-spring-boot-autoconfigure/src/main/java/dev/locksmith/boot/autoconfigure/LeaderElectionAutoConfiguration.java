package dev.locksmith.boot.autoconfigure;

import java.util.List;
import java.util.concurrent.ThreadFactory;

import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.aop.Advisor;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;
import org.springframework.util.function.SingletonSupplier;

import dev.locksmith.MutexService;
import dev.locksmith.boot.leader.LeaderElectionHealthIndicator;
import dev.locksmith.boot.leader.LeaderElectionLifecycle;
import dev.locksmith.boot.leader.LeaderEventPublisher;
import dev.locksmith.boot.leader.LeaderMetrics;
import dev.locksmith.boot.leader.LeaderOnly;
import dev.locksmith.boot.leader.LeaderOnlyInterceptor;
import dev.locksmith.leader.LeaderElection;
import dev.locksmith.leader.LeaderListener;

/**
 * Auto-configuration of leader election ({@code locksmith.leader.enabled=true}): a {@link LeaderElection}
 * named by {@code locksmith.leader.name} on the application's lock service, started and stopped by a
 * {@link LeaderElectionLifecycle}, publishing application events, told of every {@link LeaderListener}
 * bean; the {@link LeaderOnly @LeaderOnly} advice; meters when Micrometer is present; and a
 * {@code locksmithLeader} health contributor. An application that defines several elections of its own gets
 * the advice (pick one with {@code @LeaderOnly("name")}), the health details, the endpoint and the meters for
 * all of them, but starts them itself (a {@link LeaderElectionLifecycle} each): the lifecycle is only
 * auto-configured for a single election.
 */
@AutoConfiguration(after = { LocksmithAutoConfiguration.class, LocksmithMetricsAutoConfiguration.class },
		afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnBean(MutexService.class)
@ConditionalOnBooleanProperty("locksmith.leader.enabled")
@EnableConfigurationProperties(LocksmithLeaderProperties.class)
@Import(DistributedLockAutoConfiguration.AutoProxyRegistrar.class)
public final class LeaderElectionAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	LeaderElection leaderElection(MutexService locks, LocksmithLeaderProperties properties, Environment environment,
			ObjectProvider<LeaderListener> listeners, ApplicationEventPublisher publisher,
			@Qualifier(LocksmithAutoConfiguration.THREAD_FACTORY_BEAN_NAME) ObjectProvider<ThreadFactory> threads) {
		String name = properties.getName();
		if (name == null || name.isBlank()) {
			name = environment.getProperty("spring.application.name", "default");
		}
		LeaderElection.Builder builder = LeaderElection.builder(locks, name);
		if (properties.getTtl() != null) {
			builder.ttl(properties.getTtl());
		}
		builder.yieldDelay(properties.getYieldDelay());
		threads.ifAvailable(builder::threadFactory);
		listeners.orderedStream().forEach(builder::listener);
		LeaderElection election = builder.build();
		new LeaderEventPublisher(election, publisher);
		return election;
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnSingleCandidate(LeaderElection.class)
	LeaderElectionLifecycle leaderElectionLifecycle(LeaderElection leaderElection,
			LocksmithLeaderProperties properties) {
		return new LeaderElectionLifecycle(leaderElection, properties.isAutoStart());
	}

	@Bean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	@ConditionalOnMissingBean(name = "leaderOnlyAdvisor")
	static Advisor leaderOnlyAdvisor(ObjectProvider<LeaderElection> elections) {
		LeaderOnlyInterceptor interceptor = new LeaderOnlyInterceptor(
				SingletonSupplier.of(() -> elections.orderedStream().toList()));
		DefaultPointcutAdvisor advisor = new DefaultPointcutAdvisor(
				new AnnotationMatchingPointcut(null, LeaderOnly.class, true), interceptor);
		// outside @DistributedLock and @Transactional: a follower skips before taking locks or transactions
		advisor.setOrder(DistributedLockAutoConfiguration.DEFAULT_ORDER - 100);
		return advisor;
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(MeterRegistry.class)
	@ConditionalOnBean(MeterRegistry.class)
	static class LeaderMetricsConfiguration {

		@Bean
		@ConditionalOnMissingBean
		LeaderMetrics leaderMetrics(ObjectProvider<LeaderElection> elections, MeterRegistry meterRegistry) {
			return new LeaderMetrics(elections.orderedStream().toList(), meterRegistry);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class })
	@ConditionalOnEnabledHealthIndicator("locksmithLeader")
	static class LeaderHealthConfiguration {

		@Bean
		@ConditionalOnMissingBean(name = "locksmithLeaderHealthIndicator")
		LeaderElectionHealthIndicator locksmithLeaderHealthIndicator(ObjectProvider<LeaderElection> elections) {
			return new LeaderElectionHealthIndicator(elections.orderedStream().toList());
		}

	}

}
