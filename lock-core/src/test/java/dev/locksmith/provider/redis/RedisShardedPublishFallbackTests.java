package dev.locksmith.provider.redis;

import java.time.Duration;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.testsupport.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * A release that publishes on a shard channel against a server that has no {@code SPUBLISH} (a Redis 6
 * master, emulated with {@code rename-command SPUBLISH ""}): the release still happens and reports the
 * lease as released, and so does a force release; only the wake-up message is missing.
 */
class RedisShardedPublishFallbackTests {

	private static RedisTestServer redis;

	private static LettuceConnectionFactory factory;

	@BeforeAll
	static void startRedis() {
		redis = RedisTestServer.withArguments("--rename-command", "SPUBLISH", "");
		redis.start();
		factory = redis.connectionFactory();
	}

	@AfterAll
	static void stopRedis() {
		factory.destroy();
		redis.close();
	}

	@Test
	void releaseWithAWaiterSucceedsWithoutSpublish() {
		try (org.springframework.data.redis.connection.RedisConnection connection = factory.getConnection()) {
			assertThatException().as("SPUBLISH on this server")
				.isThrownBy(() -> connection.execute("SPUBLISH", "c".getBytes(), "m".getBytes()));
		}
		RedisLeaseNode node = new RedisLeaseNode(factory, RedisLockProvider.DEFAULT_CHANNEL, true);
		LeaseRequest held = RedisLockProviderTests.request("no-spublish", LeaseType.WRITE, Duration.ofSeconds(30));
		assertThat(node.acquire(held, null, false).isGranted()).isTrue();
		// a denied acquisition sets the wait flag, so the release publishes
		assertThat(node.acquire(RedisLockProviderTests.request("no-spublish", LeaseType.WRITE, Duration.ofSeconds(30)),
				null, false).isGranted()).isFalse();
		assertThat(node.release(held.ref())).as("released").isTrue();
		assertThat(node.inspect("no-spublish")).as("leases left").isEmpty();
		LeaseRequest next = RedisLockProviderTests.request("no-spublish", LeaseType.WRITE, Duration.ofSeconds(30));
		assertThat(node.acquire(next, null, false).isGranted()).as("granted after the release").isTrue();
		assertThat(node.forceRelease("no-spublish")).as("force released").isTrue();
		assertThat(node.inspect("no-spublish")).isEmpty();
		// a hand-off to a queued waiter happens too, though its message is refused
		LeaseRequest holder = RedisLockProviderTests.request("no-spublish", LeaseType.WRITE, Duration.ofSeconds(30));
		assertThat(node.acquire(holder, null, false).isGranted()).isTrue();
		LeaseRequest queued = RedisLockProviderTests.request("no-spublish", LeaseType.WRITE, Duration.ofSeconds(30));
		assertThat(node.acquire(queued, null, true).isGranted()).isFalse();
		assertThat(node.release(holder.ref())).as("released, handing off").isTrue();
		assertThat(node.inspect("no-spublish").get(0).leaseId()).isEqualTo(queued.leaseId());
		assertThat(node.acquire(queued, null, true).isGranted()).as("claimed").isTrue();
		assertThat(node.release(queued.ref())).isTrue();
	}

}
