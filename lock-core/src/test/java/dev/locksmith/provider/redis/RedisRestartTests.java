package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.locksmith.LeaseType;
import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.spi.ReleaseSubscription;
import dev.locksmith.testsupport.RedisTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A Redis server that dies while a lock is held and comes back empty: the holder learns it lost the
 * lock before its deadline, the fencing counter is re-seeded above every token issued before, and
 * waiters are woken when the release subscription comes back.
 */
class RedisRestartTests {

	private RedisTestServer redis;

	private LettuceConnectionFactory factory;

	private RedisLockProvider provider;

	private LockEngine locks;

	@BeforeEach
	void start() {
		this.redis = new RedisTestServer();
		this.factory = this.redis.connectionFactory();
		this.provider = RedisLockProvider.builder(this.factory).build();
		this.locks = Locksmith.builder(this.provider).keyPrefix("restart:").build();
	}

	@AfterEach
	void stop() {
		this.locks.close();
		this.provider.close();
		this.factory.destroy();
		this.redis.close();
	}

	@Test
	void holderIsToldBeforeItsDeadlineAndTokensKeepIncreasingAfterRestart() throws Exception {
		String key = "job";
		long highest = 0;
		for (int i = 0; i < 50; i++) {
			try (LockHandle handle = this.locks.acquire(key)) {
				assertThat(handle.fencingToken()).isGreaterThan(highest);
				highest = handle.fencingToken();
			}
		}
		Duration ttl = Duration.ofMillis(1500);
		LockHandle held = this.locks.acquire(key, LockOptions.ttl(ttl).withAutoExtend(true));
		highest = Math.max(highest, held.fencingToken());
		await().atMost(Duration.ofSeconds(5)).until(() -> held.renewals() >= 1);
		CountDownLatch lost = new CountDownLatch(1);
		long[] lostAt = new long[1];
		held.onLost(() -> {
			lostAt[0] = System.nanoTime();
			lost.countDown();
		});

		long stoppedAt = System.nanoTime();
		long deadline = stoppedAt + held.remaining().toNanos();
		this.redis.stop();
		assertThat(lost.await(10, TimeUnit.SECONDS)).isTrue();
		assertThat(held.isValid()).isFalse();
		// the local deadline is never later than the lease's expiry on the server (acquired + ttl)
		assertThat(lostAt[0]).as("lost reported by the local deadline").isLessThanOrEqualTo(deadline + ms(200));
		assertThat(lostAt[0] - stoppedAt).isLessThan(ttl.toNanos() + ms(200));

		this.redis.start();
		await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(this.provider::ping);
		assertThat(this.locks.isLocked(key)).as("the restart lost the lease").isFalse();
		try (RedisConnection connection = this.factory.getConnection()) {
			assertThat(connection.keyCommands().exists(RedisKeys.fenceKeyBytes("restart:" + key)))
				.as("the restart lost the fencing counter too")
				.isFalse();
		}
		for (int i = 0; i < 5; i++) {
			try (LockHandle next = this.locks.acquire(key)) {
				assertThat(next.fencingToken()).isGreaterThan(highest);
				highest = next.fencingToken();
			}
		}
	}

	@Test
	void waitersAreWokenWhenTheSubscriptionComesBack() throws Exception {
		await().atMost(Duration.ofSeconds(5)).until(() -> this.provider.releaseSubscriptions() >= 1);
		long subscriptions = this.provider.releaseSubscriptions();
		try (ReleaseSubscription waiter = this.provider.subscribe("restart:waiting")) {
			this.redis.stop();
			assertThat(waiter.await(TimeUnit.MILLISECONDS.toNanos(200))).isFalse();
			this.redis.start();
			assertThat(waiter.await(TimeUnit.SECONDS.toNanos(10))).as("woken by the re-subscription").isTrue();
		}
		assertThat(this.provider.releaseSubscriptions()).isGreaterThan(subscriptions);

		// and releases are delivered again afterwards
		LettuceConnectionFactory otherFactory = this.redis.connectionFactory();
		try (RedisLockProvider other = RedisLockProvider.builder(otherFactory).build();
				LockEngine otherLocks = Locksmith.builder(other).keyPrefix("restart:").build()) {
			LockHandle held = otherLocks.acquire("handoff", LockOptions.ttl(Duration.ofSeconds(60)));
			try (ReleaseSubscription waiter = this.provider.subscribe("restart:handoff")) {
				assertThat(this.provider.acquire(RedisLockProviderTests.request("restart:handoff", LeaseType.WRITE,
						Duration.ofSeconds(5))).isGranted()).as("a waiter's denied attempt").isFalse();
				held.release();
				assertThat(waiter.await(TimeUnit.SECONDS.toNanos(5))).isTrue();
			}
		}
		finally {
			otherFactory.destroy();
		}
	}

	@Test
	void aProviderBuiltWhileRedisIsDownSubscribesWhenItComesUp() throws Exception {
		this.redis.stop();
		try (RedisLockProvider early = RedisLockProvider.builder(this.factory).build();
				ReleaseSubscription waiter = early.subscribe("restart:early")) {
			assertThat(early.releaseSubscriptions()).isZero();
			this.redis.start();
			await().atMost(Duration.ofSeconds(15)).until(() -> early.releaseSubscriptions() >= 1);
			assertThat(waiter.await(TimeUnit.SECONDS.toNanos(5))).isTrue();
			LockHandle held = this.locks.acquire("early", LockOptions.ttl(Duration.ofSeconds(60)));
			assertThat(early.acquire(RedisLockProviderTests.request("restart:early", LeaseType.WRITE, Duration.ofSeconds(5)))
				.isGranted()).as("a waiter's denied attempt").isFalse();
			held.release();
			assertThat(waiter.await(TimeUnit.SECONDS.toNanos(5))).as("woken by the release").isTrue();
		}
	}

	private static long ms(long millis) {
		return TimeUnit.MILLISECONDS.toNanos(millis);
	}

}
