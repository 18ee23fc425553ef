package dev.locksmith.boot.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.lettuce.core.ClientOptions;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.MutexService;
import dev.locksmith.boot.annotation.DistributedLock;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.provider.redis.RedisClientSettings;
import dev.locksmith.provider.redis.RedisLockProvider;
import dev.locksmith.provider.redis.RedlockLockProvider;
import dev.locksmith.testsupport.RedisTestServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Redis provider wired from Boot's Redis auto-configuration, against real Redis servers.
 */
class RedisProviderConfigurationTests {

	private static RedisTestServer primary;

	private static RedisTestServer second;

	private static RedisTestServer third;

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class, LocksmithAutoConfiguration.class));

	@BeforeAll
	static void startServers() {
		primary = new RedisTestServer();
		second = new RedisTestServer();
		third = new RedisTestServer();
	}

	@AfterAll
	static void stopServers() {
		primary.close();
		second.close();
		third.close();
	}

	@Test
	void singleModeUsesTheApplicationsConnectionFactory() {
		this.contextRunner
			.withPropertyValues("locksmith.provider=redis", "spring.data.redis.host=" + primary.host(),
					"spring.data.redis.port=" + primary.port(), "locksmith.key-prefix=boot-test:")
			.run((context) -> {
				assertThat(context).hasSingleBean(RedisLockProvider.class).doesNotHaveBean(RedlockLockProvider.class);
				MutexService locks = context.getBean(MutexService.class);
				assertThat(locks.providerName()).isEqualTo("redis");
				try (LockHandle handle = locks.acquire("order:1")) {
					assertThat(handle.fencingToken()).isPositive();
					assertThat(locks.isLocked("order:1")).isTrue();
					assertThat(context.getBean(LockEngine.class).provider().inspect("boot-test:order:1").isLocked())
						.isTrue();
				}
				assertThat(locks.isLocked("order:1")).isFalse();
			});
	}

	@Test
	void singleModeWithoutAConnectionFactoryFailsWithAClearMessage() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(LocksmithAutoConfiguration.class))
			.withPropertyValues("locksmith.provider=redis")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.provider=redis needs one RedisConnectionFactory bean"));
	}

	@Test
	void redlockModeConnectsToEveryNode() {
		this.contextRunner
			.withPropertyValues("locksmith.provider=redis", "locksmith.redis.mode=redlock",
					"locksmith.redis.nodes=" + url(primary) + "," + url(second) + "," + url(third),
					"locksmith.redis.quorum=2")
			.run((context) -> {
				assertThat(context).hasSingleBean(RedlockLockProvider.class).doesNotHaveBean(RedisLockProvider.class);
				MutexService locks = context.getBean(MutexService.class);
				try (LockHandle handle = locks.acquire("redlock:1")) {
					assertThat(locks.isLocked("redlock:1")).isTrue();
				}
				assertThat(locks.isLocked("redlock:1")).isFalse();
			});
	}

	@Test
	void annotatedMethodsAreMutuallyExclusiveAcrossTwoInstances() {
		SharedCounter counter = new SharedCounter();
		ApplicationContextRunner instance = this.contextRunner
			.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, DistributedLockAutoConfiguration.class))
			.withPropertyValues("locksmith.provider=redis", "spring.data.redis.host=" + primary.host(),
					"spring.data.redis.port=" + primary.port())
			.withBean(SharedCounter.class, () -> counter)
			.withBean(Incrementer.class);
		instance.run((first) -> instance.run((second) -> {
			List<Incrementer> incrementers = List.of(first.getBean(Incrementer.class), second.getBean(Incrementer.class));
			ExecutorService executor = Executors.newFixedThreadPool(4);
			try {
				List<Future<?>> futures = new ArrayList<>();
				for (int t = 0; t < 4; t++) {
					Incrementer incrementer = incrementers.get(t % 2);
					futures.add(executor.submit(() -> {
						for (int i = 0; i < 20; i++) {
							incrementer.increment();
						}
						return null;
					}));
				}
				for (Future<?> future : futures) {
					future.get();
				}
			}
			finally {
				executor.shutdownNow();
			}
			assertThat(counter.value).isEqualTo(80);
			assertThat(first.getBean(MutexService.class).ownerId())
				.isNotEqualTo(second.getBean(MutexService.class).ownerId());
		}));
	}

	@Test
	void aRedlockQuorumOfHalfTheNodesOrLessFailsStartupNamingTheProperty() {
		this.contextRunner
			.withPropertyValues("locksmith.provider=redis", "locksmith.redis.mode=redlock",
					"locksmith.redis.nodes=" + url(primary) + "," + url(second) + "," + url(third) + "," + url(primary),
					"locksmith.redis.quorum=2")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("locksmith.redis.quorum")
				.hasStackTraceContaining("more than half"));
	}

	@Test
	void redlockUnderBootAnswersWithinTheCommandTimeoutWithAMasterStopped() {
		assertEveryCallReturnsWithinTheCommandTimeout(RedisTestServer::stop);
	}

	@Test
	void redlockUnderBootAnswersWithinTheCommandTimeoutWithAMasterHung() {
		assertEveryCallReturnsWithinTheCommandTimeout(RedisTestServer::pause);
	}

	/**
	 * Starts Redlock over three masters through the auto-configuration, takes one down with
	 * {@code failure}, and checks that every call returns within a bound derived from the command timeout.
	 */
	private void assertEveryCallReturnsWithinTheCommandTimeout(java.util.function.Consumer<RedisTestServer> failure) {
		Duration commandTimeout = Duration.ofSeconds(1);
		List<RedisTestServer> masters = List.of(new RedisTestServer(), new RedisTestServer(), new RedisTestServer());
		try {
			this.contextRunner
				.withPropertyValues("locksmith.provider=redis", "locksmith.redis.mode=redlock",
						"locksmith.redis.command-timeout=" + commandTimeout.toMillis() + "ms",
						"locksmith.redis.nodes=" + url(masters.get(0)) + "," + url(masters.get(1)) + ","
								+ url(masters.get(2)))
				.run((context) -> {
					MutexService locks = context.getBean(MutexService.class);
					locks.acquire("warm-up").close(); // every node's connection is open
					failure.accept(masters.get(2));
					// Generous: a few command timeouts per call, not a performance bound (Lettuce's
					// defaults took 60 s per command, 120 s per tryAcquire).
					Duration bound = commandTimeout.multipliedBy(3).plusSeconds(2);
					LockOptions noWait = LockOptions.defaults().withWaitTime(Duration.ZERO).withTtl(Duration.ofSeconds(30));
					Optional<LockHandle> handle = within(bound, () -> locks.tryAcquire("one-down", noWait));
					assertThat(handle).as("two of three masters still grant").isPresent();
					assertThat(within(bound, () -> locks.isLocked("one-down"))).isTrue();
					assertThat(within(bound, () -> locks.extendLease("one-down", handle.get().leaseId(),
							Duration.ofSeconds(30)))).isTrue();
					assertThat(within(bound, () -> locks.tryAcquire("one-down", noWait))).isEmpty();
					within(bound, () -> handle.get().release());
					assertThat(within(bound, () -> locks.isLocked("one-down"))).isFalse();
				});
		}
		finally {
			masters.forEach(RedisTestServer::close);
		}
	}

	@Test
	void redlockNodesUseTheLockSuitedClientSettingsTheConfiguredTimeoutAndTheUrlsCredentialsAndTls() {
		RedisProviderConfigurations.RedlockNodes nodes = new RedisProviderConfigurations.RedlockNodes(
				List.of(url(primary), "rediss://user:secret@" + third.host() + ":" + third.port() + "/2"),
				Duration.ofMillis(750));
		try {
			assertThat(nodes.factories()).hasSize(2).allSatisfy((factory) -> {
				LettuceConnectionFactory lettuce = (LettuceConnectionFactory) factory;
				assertThat(lettuce.getTimeout()).isEqualTo(750);
				assertThat(lettuce.getClientConfiguration().getClientOptions()).get()
					.satisfies((options) -> assertThat(options.getDisconnectedBehavior())
						.isEqualTo(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS));
			});
			LettuceConnectionFactory tls = (LettuceConnectionFactory) nodes.factories().get(1);
			assertThat(tls.isUseSsl()).isTrue();
			assertThat(tls.getDatabase()).isEqualTo(2);
			assertThat(tls.getStandaloneConfiguration().getUsername()).isEqualTo("user");
			assertThat(tls.getStandaloneConfiguration().getPassword().get()).isEqualTo("secret".toCharArray());
		}
		finally {
			nodes.destroy();
		}
	}

	@Test
	void propertyDefaultsEqualTheProviderDefaults() {
		LocksmithProperties.Redis redis = new LocksmithProperties().getRedis();
		assertThat(redis.getReplicaTimeout()).isEqualTo(Duration.ofMillis(500));
		assertThat(redis.getMinReplicas()).isZero();
		assertThat(redis.getQuorum()).as("0: a majority, as RedlockLockProvider's default").isZero();
		assertThat(redis.getCommandTimeout()).isEqualTo(RedisClientSettings.DEFAULT_COMMAND_TIMEOUT);
		assertThat(redis.isShardedReleases()).as("shard channels on a cluster, as RedisLockProvider's default")
			.isTrue();
	}

	/** A counter shared by two application contexts: volatile, but its read-then-write is not atomic. */
	static class SharedCounter {

		volatile int value;

	}

	public static class Incrementer {

		private final SharedCounter counter;

		public Incrementer(SharedCounter counter) {
			this.counter = counter;
		}

		@DistributedLock(key = "'shared-counter'", waitTime = "30s")
		public void increment() {
			int read = this.counter.value;
			Thread.yield();
			this.counter.value = read + 1;
		}

	}

	/** Runs a call on another thread and fails if it does not return within the bound. */
	private static <T> T within(Duration bound, java.util.concurrent.Callable<T> call) throws Exception {
		ExecutorService executor = Executors.newSingleThreadExecutor();
		try {
			return executor.submit(call).get(bound.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
		}
		finally {
			executor.shutdownNow();
		}
	}

	private static String url(RedisTestServer server) {
		return "redis://" + server.host() + ":" + server.port();
	}

}
