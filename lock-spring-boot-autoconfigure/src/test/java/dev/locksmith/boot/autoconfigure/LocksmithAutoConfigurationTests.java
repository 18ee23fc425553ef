package dev.locksmith.boot.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.sql.DataSource;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.aop.Advisor;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.Ordered;
import org.springframework.data.redis.connection.RedisConnectionFactory;

import dev.locksmith.Backoff;
import dev.locksmith.LockEvent;
import dev.locksmith.LockHandle;
import dev.locksmith.LockListener;
import dev.locksmith.Locksmith;
import dev.locksmith.MutexService;
import dev.locksmith.boot.actuate.LocksEndpoint;
import dev.locksmith.boot.actuate.LocksmithHealthIndicator;
import dev.locksmith.boot.aop.DistributedLockInterceptor;
import dev.locksmith.boot.metrics.MicrometerLockListener;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.spi.LockProvider;

import static org.assertj.core.api.Assertions.assertThat;

class LocksmithAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, LocksmithAutoConfiguration.class,
				DistributedLockAutoConfiguration.class, LocksmithMetricsAutoConfiguration.class,
				LocksEndpointAutoConfiguration.class, LocksmithHealthContributorAutoConfiguration.class));

	@Test
	void defaultsToTheMemoryProviderWithLibraryDefaults() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(MemoryLockProvider.class).hasSingleBean(LockEngine.class);
			LockEngine engine = context.getBean(LockEngine.class);
			assertThat(engine.providerName()).isEqualTo("memory");
			assertThat(engine.defaults()).isEqualTo(Locksmith.libraryDefaults());
			assertThat(engine.keyPrefix()).isEqualTo("lock:");
			assertThat(engine.ownerId()).isNotBlank();
		});
	}

	@Test
	void propertyDefaultsEqualTheLibraryDefaults() {
		LocksmithProperties properties = new LocksmithProperties();
		assertThat(properties.toLockOptions().orElse(Locksmith.libraryDefaults()))
			.isEqualTo(Locksmith.libraryDefaults());
		assertThat(properties.getRetry().toBackoff()).isEqualTo(Backoff.defaults());
		assertThat(properties.getDefaultTtl()).isEqualTo(Locksmith.libraryDefaults().ttl());
		assertThat(properties.getWaitTime()).isEqualTo(Locksmith.libraryDefaults().waitTime());
		assertThat(properties.isAutoExtend()).isEqualTo(Locksmith.libraryDefaults().autoExtend());
		assertThat(properties.getProvider()).isEqualTo(LocksmithProperties.Provider.MEMORY);
	}

	@Test
	void propertiesConfigureTheEngine() {
		this.contextRunner
			.withPropertyValues("locksmith.key-prefix=app:", "locksmith.owner-id=node-7", "locksmith.default-ttl=45s",
					"locksmith.wait-time=2s", "locksmith.auto-extend=false", "locksmith.retry.initial-delay=20ms",
					"locksmith.retry.max-delay=200ms", "locksmith.retry.multiplier=3",
					"locksmith.retry.jitter=0", "locksmith.retry.max-attempts=7")
			.run((context) -> {
				LockEngine engine = context.getBean(LockEngine.class);
				assertThat(engine.keyPrefix()).isEqualTo("app:");
				assertThat(engine.ownerId()).isEqualTo("node-7");
				assertThat(engine.defaults().ttl()).isEqualTo(Duration.ofSeconds(45));
				assertThat(engine.defaults().waitTime()).isEqualTo(Duration.ofSeconds(2));
				assertThat(engine.defaults().autoExtend()).isFalse();
				assertThat(engine.defaults().backoff())
					.isEqualTo(Backoff.of(Duration.ofMillis(20), Duration.ofMillis(200), 3, 0, 7));
				try (LockHandle handle = engine.acquire("k")) {
					assertThat(engine.provider().inspect("app:k").holder()).isEqualTo("node-7");
				}
			});
	}

	@Test
	void emptyOwnerIdIsGenerated() {
		this.contextRunner.withPropertyValues("locksmith.owner-id=")
			.run((context) -> assertThat(context.getBean(LockEngine.class).ownerId()).isNotBlank());
	}

	@Test
	void backsOffWhenTheApplicationDefinesAMutexService() {
		this.contextRunner.withBean("myLocks", MutexService.class, () -> Locksmith.builder(new MemoryLockProvider()).build())
			.run((context) -> {
				assertThat(context).hasSingleBean(MutexService.class).doesNotHaveBean(LockProvider.class);
				assertThat(context.getBean(MutexService.class)).isSameAs(context.getBean("myLocks"));
			});
	}

	@Test
	void usesTheApplicationsLockProvider() {
		MemoryLockProvider provider = new MemoryLockProvider();
		this.contextRunner.withBean(LockProvider.class, () -> provider).run((context) -> {
			assertThat(context).hasSingleBean(LockProvider.class).hasSingleBean(LockEngine.class);
			assertThat(context.getBean(LockEngine.class).provider()).isSameAs(provider);
		});
	}

	@Test
	void attachesEveryLockListenerBean() {
		List<LockEvent> events = new CopyOnWriteArrayList<>();
		this.contextRunner.withBean(LockListener.class, () -> events::add).run((context) -> {
			MutexService locks = context.getBean(MutexService.class);
			locks.withLock("k", () -> "done");
			assertThat(events).extracting(LockEvent::type)
				.containsExactly(LockEvent.Type.ACQUIRED, LockEvent.Type.RELEASED);
		});
	}

	@Test
	void closingTheContextReleasesHeldLeases() {
		MemoryLockProvider provider = new MemoryLockProvider();
		this.contextRunner.withBean(LockProvider.class, () -> provider).run((context) -> {
			LockHandle handle = context.getBean(MutexService.class).acquire("held");
			assertThat(handle.isValid()).isTrue();
			context.close();
			assertThat(handle.isValid()).isFalse();
			assertThat(provider.inspect("lock:held").isLocked()).isFalse();
		});
	}

	@Test
	void invalidDurationsFailNamingTheProperty() {
		this.contextRunner.withPropertyValues("locksmith.default-ttl=0s").run((context) -> assertThat(context)
			.hasFailed()
			.getFailure()
			.rootCause()
			.hasMessageContaining("locksmith.default-ttl")
			.hasMessageContaining("must be positive"));
		this.contextRunner.withPropertyValues("locksmith.wait-time=-1s")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.wait-time"));
		this.contextRunner.withPropertyValues("locksmith.default-ttl=soon")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("Failed to bind properties under 'locksmith.default-ttl'"));
	}

	@Test
	void invalidRetryFailsNamingTheProperty() {
		this.contextRunner.withPropertyValues("locksmith.retry.initial-delay=2s", "locksmith.retry.max-delay=1s")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.retry.max-delay"));
		this.contextRunner.withPropertyValues("locksmith.retry.jitter=1.5")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.retry.jitter"));
		this.contextRunner.withPropertyValues("locksmith.retry.multiplier=0.5")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.retry.multiplier"));
		this.contextRunner.withPropertyValues("locksmith.retry.max-attempts=-1")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.retry.max-attempts"));
	}

	@Test
	void unknownOrUnbuiltProvidersFailNamingTheProperty() {
		this.contextRunner.withPropertyValues("locksmith.provider=etcd", "locksmith.etcd.endpoints=localhost:2379")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.etcd.endpoints")
				.hasMessageContaining("http://"));
		this.contextRunner.withPropertyValues("locksmith.provider=zookeeper")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("Failed to bind properties under 'locksmith.provider'"));
	}

	@Test
	void redlockWithoutNodesFailsNamingTheProperty() {
		this.contextRunner.withPropertyValues("locksmith.redis.mode=redlock")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.redis.nodes"));
		this.contextRunner
			.withPropertyValues("locksmith.redis.mode=redlock", "locksmith.redis.nodes=redis://a:1,redis://b:2",
					"locksmith.redis.quorum=3")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.redis.quorum"));
	}

	@Test
	void badRedisNodeUrlsFailNamingTheProperty() {
		this.contextRunner.withPropertyValues("locksmith.redis.nodes=redis://a:1,http://b:2")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.redis.nodes[1]")
				.hasMessageContaining("scheme must be redis or rediss"));
	}

	@Test
	void redisNodeUrlsAreParsed() {
		RedisNodeUrl node = RedisNodeUrl.parse("rediss://user:p%40ss@example.org:6380/2");
		assertThat(node).isEqualTo(new RedisNodeUrl("example.org", 6380, 2, "user", "p@ss", true));
		assertThat(RedisNodeUrl.parse("redis://:secret@localhost"))
			.isEqualTo(new RedisNodeUrl("localhost", 6379, 0, null, "secret", false));
	}

	@Test
	void redisProviderWithoutRedisOnTheClasspathFailsWithAClearMessage() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
			.withPropertyValues("locksmith.provider=redis")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.provider=redis could not be configured")
				.hasMessageContaining("spring-boot-starter-data-redis"));
	}

	@Test
	void jdbcProviderWithoutJdbcOnTheClasspathFailsWithAClearMessage() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(DataSource.class, org.springframework.jdbc.core.JdbcTemplate.class))
			.withPropertyValues("locksmith.provider=jdbc")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.provider=jdbc could not be configured"));
	}

	@Test
	void registersTheAdviceOutsideTransactions() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(DistributedLockInterceptor.class);
			Advisor advisor = context.getBean("distributedLockAdvisor", Advisor.class);
			assertThat(((DefaultPointcutAdvisor) advisor).getOrder()).isLessThan(Ordered.LOWEST_PRECEDENCE)
				.isEqualTo(new LocksmithProperties().getAspect().getOrder());
		});
	}

	@Test
	void adviceOrderIsConfigurable() {
		this.contextRunner.withPropertyValues("locksmith.aspect.order=5")
			.run((context) -> assertThat(context.getBean("distributedLockAdvisor", DefaultPointcutAdvisor.class).getOrder())
				.isEqualTo(5));
	}

	@Test
	void adviceCanBeTurnedOff() {
		this.contextRunner.withPropertyValues("locksmith.aspect.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(DistributedLockInterceptor.class)
				.doesNotHaveBean("distributedLockAdvisor")
				.hasSingleBean(MutexService.class));
	}

	@Test
	void annotatedBeansAreProxiedEvenWithoutBootsAopAutoConfiguration() {
		List<LockEvent> events = new CopyOnWriteArrayList<>();
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(LocksmithAutoConfiguration.class, DistributedLockAutoConfiguration.class))
			.withBean(LockListener.class, () -> events::add)
			.withBean(Job.class)
			.run((context) -> {
				assertThat(context.getBean(Job.class).run()).isEqualTo("job");
				assertThat(events).extracting(LockEvent::key).containsExactly("job", "job");
			});
	}

	@Test
	void annotatedBeansAreNotLockedWhenTheAdviceIsOff() {
		List<LockEvent> events = new CopyOnWriteArrayList<>();
		this.contextRunner.withPropertyValues("locksmith.aspect.enabled=false")
			.withBean(LockListener.class, () -> events::add)
			.withBean(Job.class)
			.run((context) -> {
				assertThat(context.getBean(Job.class).run()).isEqualTo("unlocked");
				assertThat(events).isEmpty();
			});
	}

	@Test
	void adviceBacksOffWhenTheApplicationDefinesItsAdvisor() {
		org.springframework.aop.support.NameMatchMethodPointcutAdvisor mine = new org.springframework.aop.support.NameMatchMethodPointcutAdvisor(
				(org.aopalliance.intercept.MethodInterceptor) (invocation) -> invocation.proceed());
		mine.setMappedName("noSuchMethod");
		this.contextRunner.withBean("distributedLockAdvisor", Advisor.class, () -> mine)
			.run((context) -> assertThat(context.getBean("distributedLockAdvisor")).isSameAs(mine));
	}

	@Test
	void metricsNeedAMeterRegistryBean() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(MicrometerLockListener.class));
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.run((context) -> assertThat(context).hasSingleBean(MicrometerLockListener.class));
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.withBean(MicrometerLockListener.class, () -> new MicrometerLockListener(new SimpleMeterRegistry()))
			.run((context) -> assertThat(context).hasSingleBean(MicrometerLockListener.class));
	}

	@Test
	void metricsBackOffWithoutMicrometer() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(MeterRegistry.class))
			.run((context) -> assertThat(context).doesNotHaveBean(MicrometerLockListener.class)
				.hasSingleBean(MutexService.class));
	}

	@Test
	void meterRegistryReceivesLockEvents() {
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new).run((context) -> {
			context.getBean(MutexService.class).withLock("k", () -> 1);
			assertThat(context.getBean(MeterRegistry.class).find("locksmith.lock.acquire").timer().count())
				.isEqualTo(1);
		});
	}

	@Test
	void locksEndpointWhenExposed() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=locks")
			.run((context) -> assertThat(context).hasSingleBean(LocksEndpoint.class));
	}

	@Test
	void locksEndpointNeedsExposure() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(LocksEndpoint.class));
	}

	@Test
	void healthIndicatorPingsTheProvider() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(LocksmithHealthIndicator.class);
			assertThat(context).hasSingleBean(dev.locksmith.boot.actuate.RenewalOutcomes.class);
			assertThat(context.getBean(LocksmithHealthIndicator.class).health().getStatus()).isEqualTo(Status.UP);
		});
		this.contextRunner.withPropertyValues("management.health.locksmith.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(LocksmithHealthIndicator.class));
	}

	public static class Job {

		@dev.locksmith.boot.annotation.DistributedLock(key = "'job'")
		public String run() {
			return dev.locksmith.LockContext.current().map(LockHandle::key).orElse("unlocked");
		}

	}

}
