package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import dev.locksmith.LeaseType;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.testsupport.RedisTestServer;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Replica confirmation when {@code WAIT} itself fails, and the dedicated connections it uses: a grant whose
 * confirmation failed is not left behind, and no connection leaks across many grants, denials and failures.
 */
class RedisReplicaWaitFailureTests {

	@Test
	void aGrantWhoseWaitFailedIsReleasedBeforeTheErrorIsReported() {
		try (RedisTestServer server = RedisTestServer.withArguments("--rename-command", "WAIT", "")) {
			LettuceConnectionFactory factory = server.connectionFactory();
			try (RedisLockProvider provider = RedisLockProvider.builder(factory).minReplicas(1).build()) {
				LeaseRequest request = write("lock:" + UUID.randomUUID());
				assertThatExceptionOfType(LockProviderUnavailableException.class)
					.isThrownBy(() -> provider.acquire(request));
				assertThat(provider.inspect(request.key()).leases())
					.as("the outcome is reported as unknown, so no lease may stay behind unknown to the caller")
					.isEmpty();
				LeaseRequest next = write(request.key());
				assertThatExceptionOfType(LockProviderUnavailableException.class).isThrownBy(() -> provider.acquire(next));
				assertThat(provider.inspect(request.key()).leases()).isEmpty();
			}
			finally {
				factory.destroy();
			}
		}
	}

	@Test
	void dedicatedConnectionsAreBoundedAndDoNotLeak() throws Exception {
		try (RedisTestServer server = new RedisTestServer()) {
			LettuceConnectionFactory factory = server.connectionFactory();
			try (RedisLockProvider provider = RedisLockProvider.builder(factory).minReplicas(1)
				.replicaTimeout(Duration.ofMillis(5)).build()) {
				await().atMost(Duration.ofSeconds(10)).until(() -> provider.releaseSubscriptions() >= 1);
				long baseline = clients(factory);
				for (int i = 0; i < 40; i++) {
					assertThat(provider.acquire(write("lock:" + UUID.randomUUID())).isGranted()).isFalse();
				}
				assertThat(clients(factory)).isLessThanOrEqualTo(baseline + ReplicaWait.MAX_IDLE);
				ExecutorService pool = Executors.newFixedThreadPool(24);
				try {
					CountDownLatch go = new CountDownLatch(1);
					List<Future<Boolean>> results = new ArrayList<>();
					for (int i = 0; i < 24; i++) {
						results.add(pool.submit(() -> {
							go.await();
							return provider.acquire(write("lock:" + UUID.randomUUID())).isGranted();
						}));
					}
					go.countDown();
					for (Future<Boolean> result : results) {
						assertThat(result.get()).isFalse();
					}
				}
				finally {
					pool.shutdownNow();
				}
				await().atMost(Duration.ofSeconds(10))
					.untilAsserted(() -> assertThat(clients(factory)).isLessThanOrEqualTo(baseline + ReplicaWait.MAX_IDLE));
			}
			await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(clients(factory)).isLessThanOrEqualTo(3));
			factory.destroy();
		}
	}

	@Test
	void aDedicatedConnectionThatCannotSelectItsDatabaseIsClosed() {
		try (RedisTestServer server = RedisTestServer.withArguments("--databases", "4")) {
			LettuceConnectionFactory counting = server.connectionFactory();
			RedisStandaloneConfiguration wrongDatabase = new RedisStandaloneConfiguration(server.host(), server.port());
			wrongDatabase.setDatabase(9);
			LettuceConnectionFactory factory = new LettuceConnectionFactory(wrongDatabase,
					RedisClientSettings.clientConfiguration(Duration.ofSeconds(1)));
			factory.afterPropertiesSet();
			factory.start();
			try (RedisLockProvider provider = RedisLockProvider.builder(factory).minReplicas(1).build()) {
				long before = clients(counting);
				for (int i = 0; i < 20; i++) {
					assertThatExceptionOfType(LockProviderUnavailableException.class)
						.isThrownBy(() -> provider.acquire(write("lock:" + UUID.randomUUID())));
				}
				await().atMost(Duration.ofSeconds(10))
					.untilAsserted(() -> assertThat(clients(counting)).as("connections left open by failed attempts")
						.isLessThanOrEqualTo(before + 1));
			}
			finally {
				factory.destroy();
				counting.destroy();
			}
		}
	}

	@Test
	void aBurstOfConfirmationsOpensAtMostTheBoundOfDedicatedConnections() throws Exception {
		try (RedisTestServer server = new RedisTestServer()) {
			LettuceConnectionFactory factory = server.connectionFactory(Duration.ofSeconds(5));
			LettuceConnectionFactory counting = server.connectionFactory();
			int callers = 64;
			try (RedisLockProvider provider = RedisLockProvider.builder(factory).minReplicas(1)
				.replicaTimeout(Duration.ofMillis(300)).build()) {
				await().atMost(Duration.ofSeconds(10)).until(() -> provider.releaseSubscriptions() >= 1);
				long baseline = clients(counting);
				AtomicLong peak = new AtomicLong();
				AtomicBoolean done = new AtomicBoolean();
				Thread sampler = new Thread(() -> {
					while (!done.get()) {
						peak.accumulateAndGet(clients(counting), Math::max);
					}
				});
				sampler.start();
				ExecutorService pool = Executors.newFixedThreadPool(callers);
				try {
					CountDownLatch go = new CountDownLatch(1);
					List<Future<Boolean>> results = new ArrayList<>();
					for (int i = 0; i < callers; i++) {
						results.add(pool.submit(() -> {
							go.await();
							return provider.acquire(write("lock:" + UUID.randomUUID())).isGranted();
						}));
					}
					go.countDown();
					for (Future<Boolean> result : results) {
						assertThat(result.get()).as("no replica: never confirmed").isFalse();
					}
				}
				finally {
					done.set(true);
					sampler.join();
					pool.shutdownNow();
				}
				// 32 dedicated connections at most, plus a few still closing while new ones open.
				assertThat(peak.get() - baseline).as("dedicated connections open at once").isLessThanOrEqualTo(40);
			}
			finally {
				factory.destroy();
				counting.destroy();
			}
		}
	}

	private static LeaseRequest write(String key) {
		return new LeaseRequest(key, LeaseType.WRITE, UUID.randomUUID().toString(), "owner", Duration.ofSeconds(30), 1,
				1, Map.of());
	}

	private static long clients(LettuceConnectionFactory factory) {
		try (RedisConnection connection = factory.getConnection()) {
			return Long.parseLong(connection.serverCommands().info("clients").getProperty("connected_clients"));
		}
	}

}
