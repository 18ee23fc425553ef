package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import dev.locksmith.LeaseType;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.ReleaseSubscription;
import dev.locksmith.testsupport.RedisClusterTestServer;
import io.lettuce.core.KillArgs;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.ClusterSlotHashUtil;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A master of a real local Redis Cluster (three masters, one replica each) dies ({@code SIGKILL}) and its
 * replica takes over ({@code CLUSTER FAILOVER FORCE}), with locks held on the dead master's slots. The
 * clients are the fixture's plain cluster connection factories (Lettuce's default topology handling, no
 * extra refresh settings); calls fail with {@code LockProviderUnavailableException} until they see the
 * new master. Each test fails over another master.
 * Skipped, naming the package, without a {@code redis-server} on the {@code PATH}.
 */
class RedisClusterFailoverTests {

	private static final Duration RECOVERY = Duration.ofSeconds(30);

	private static @Nullable RedisClusterTestServer cluster;

	private static @Nullable LettuceConnectionFactory holderFactory;

	private static @Nullable LettuceConnectionFactory otherFactory;

	private static @Nullable RedisLockProvider holder;

	private static @Nullable RedisLockProvider other;

	private static int counter;

	@BeforeAll
	static void startCluster() {
		if (RedisClusterTestServer.isInstalled()) {
			cluster = new RedisClusterTestServer(true);
			holderFactory = cluster.connectionFactory(Duration.ofSeconds(1));
			otherFactory = cluster.connectionFactory(Duration.ofSeconds(1));
			holder = RedisLockProvider.builder(holderFactory).build();
			other = RedisLockProvider.builder(otherFactory).build();
		}
	}

	@AfterAll
	static void stopCluster() {
		if (holder != null) {
			holder.close();
			other.close();
			holderFactory.destroy();
			otherFactory.destroy();
		}
		if (cluster != null) {
			cluster.close();
		}
	}

	@BeforeEach
	void assumeCluster() {
		RedisClusterTestServer.assumeInstalled();
	}

	/**
	 * A grant the replica has (confirmed with {@code WAIT 1} on the master) survives the failover: the
	 * holder's renewal succeeds on the promoted replica, the other client is still denied, its waiter
	 * (subscribed to the key's shard channel on the dead master) is subscribed again on the new master and
	 * woken by the release there, and the next token is higher. New keys in the failed master's slots are
	 * granted again once the clients see the new topology.
	 */
	@Test
	void replicatedGrantSurvivesAMasterFailoverAndTheClientsRecover() throws Exception {
		int master = 0;
		int replica = cluster.replicaOf(master);
		String key = keyOnMaster(master);
		LeaseRequest held = request(key);
		long token = holder.acquire(held).fencingToken();
		assertThat(cluster.node(master).waitForReplication(1, 5000)).as("replicas that have the grant").isEqualTo(1);
		ReleaseSubscription waiter = other.subscribe(key, LeaseType.WRITE);
		assertThat(other.acquire(request(key)).isGranted()).isFalse();

		long killed = System.nanoTime();
		cluster.kill(master);
		cluster.failOverTo(replica);
		long promoted = System.nanoTime();

		assertThat(answer(() -> holder.extend(held.ref(), Duration.ofSeconds(30)))).as("holder's renewal").isTrue();
		System.out.printf("cluster failover: replica promoted %d ms after the kill; holder's renewal answered %d ms after "
				+ "the promotion%n", (promoted - killed) / 1_000_000, (System.nanoTime() - promoted) / 1_000_000);
		assertThat(answer(() -> other.acquire(request(key))).isGranted()).as("second holder").isFalse();
		assertThat(answer(() -> other.inspect(key).fencingToken())).isEqualTo(token);
		await().atMost(RECOVERY)
			.untilAsserted(() -> assertThat(shardSubscribers(replica, key)).as("waiter subscribed on the new master")
				.isEqualTo(1));
		while (waiter.await(0)) {
			// wake-ups of the re-subscriptions
		}
		long spublishBefore = cluster.commandCalls(replica, "spublish");
		assertThat(holder.release(held.ref())).isTrue();
		assertThat(waiter.await(TimeUnit.SECONDS.toNanos(10))).as("woken by the release on the new master").isTrue();
		assertThat(cluster.commandCalls(replica, "spublish") - spublishBefore).isEqualTo(1);
		waiter.close();
		LeaseRequest next = request(key);
		assertThat(other.acquire(next).fencingToken()).as("token after the failover").isGreaterThan(token);
		other.release(next.ref());

		LeaseRequest fresh = request(keyOnMaster(replica));
		assertThat(answer(() -> holder.acquire(fresh)).isGranted()).as("new key on the failed-over slots").isTrue();
		assertThat(holder.release(fresh.ref())).isTrue();
	}

	/**
	 * The documented window, forced: the replica is cut off ({@code SIGSTOP}, and the master drops its link
	 * with {@code CLIENT KILL TYPE replica}) when the lock is granted, so the grant exists only on the master,
	 * which then dies. After the failover the lease is gone: the holder's renewal fails (so its engine
	 * reports the lock lost), and another client <b>is granted</b> the lock, a second holder. Its fencing
	 * token is still higher than the lost grant's (the promoted replica seeds it from its clock), so a
	 * fenced store that has seen the new token refuses the stale holder's writes.
	 */
	@Test
	void unreplicatedGrantIsLostInAFailoverButTheNextTokenIsStillHigher() throws Exception {
		int master = 1;
		int replica = cluster.replicaOf(master);
		String key = keyOnMaster(master);
		cluster.pause(replica);
		assertThat(cluster.node(master).clientKill(KillArgs.Builder.typeSlave())).isPositive();
		LeaseRequest held = request(key);
		Grant lost = holder.acquire(held);
		assertThat(lost.isGranted()).isTrue();
		cluster.kill(master);
		cluster.resume(replica);
		cluster.failOverTo(replica);

		assertThat(answer(() -> holder.extend(held.ref(), Duration.ofSeconds(30)))).as("lost holder's renewal").isFalse();
		LeaseRequest second = request(key);
		Grant granted = answer(() -> other.acquire(second));
		assertThat(granted.isGranted()).as("second holder after the failover").isTrue();
		assertThat(granted.fencingToken()).as("token after the failover").isGreaterThan(lost.fencingToken());
		assertThat(other.release(second.ref())).isTrue();
	}

	/** Retries a call while the cluster fails over (calls fail until the clients see the new topology). */
	private static <T> T answer(Callable<T> call) {
		return await().atMost(RECOVERY)
			.pollInterval(Duration.ofMillis(100))
			.ignoreExceptionsInstanceOf(LockProviderUnavailableException.class)
			.until(call, (value) -> true);
	}

	private static LeaseRequest request(String key) {
		return RedisLockProviderTests.request(key, LeaseType.WRITE, Duration.ofSeconds(30));
	}

	private static String keyOnMaster(int node) {
		while (true) {
			String key = "failover-" + (counter++);
			if (cluster.nodeOfSlot(ClusterSlotHashUtil.calculateSlot(RedisKeys.leaseKey(key))) == node) {
				return key;
			}
		}
	}

	private static long shardSubscribers(int node, String key) {
		String channel = RedisKeys.shardChannel(key, RedisLockProvider.DEFAULT_CHANNEL);
		Long count = cluster.node(node).pubsubShardNumsub(channel).get(channel);
		return (count != null) ? count : 0;
	}

}
