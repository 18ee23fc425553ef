package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.locksmith.LeaseType;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.ReleaseSubscription;
import dev.locksmith.spi.Renewal;
import dev.locksmith.testsupport.RedisClusterTestServer;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.MigrateArgs;
import io.lettuce.core.event.command.CommandFailedEvent;
import io.lettuce.core.event.command.CommandListener;
import io.lettuce.core.event.command.CommandStartedEvent;
import io.lettuce.core.event.command.CommandSucceededEvent;
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
 * Redis Cluster specifics of {@link RedisLockProvider} against a real local cluster of three masters:
 * renewal round trips per node and resharding. Skipped, naming the package, without a {@code redis-server}
 * on the {@code PATH}.
 */
class RedisClusterLockProviderTests {

	private static @Nullable RedisClusterTestServer cluster;

	private static @Nullable LettuceConnectionFactory factory;

	private static @Nullable RedisLockProvider provider;

	/** EVALSHA commands the client has written to the cluster (its connection to any node). */
	private static final AtomicInteger evalshaSent = new AtomicInteger();

	/** EVAL commands the client has written to the cluster. */
	private static final AtomicInteger evalSent = new AtomicInteger();

	private static int counter;

	@BeforeAll
	static void startCluster() {
		if (RedisClusterTestServer.isInstalled()) {
			cluster = new RedisClusterTestServer();
			// long enough for the test that freezes the nodes while the client sends
			factory = cluster.connectionFactory(Duration.ofSeconds(30));
			AbstractRedisClient client = factory.getNativeClient();
			client.addListener(new CommandListener() {
				@Override
				public void commandStarted(CommandStartedEvent event) {
					if ("EVALSHA".equals(event.getCommand().getType().toString())) {
						evalshaSent.incrementAndGet();
					}
					if ("EVAL".equals(event.getCommand().getType().toString())) {
						evalSent.incrementAndGet();
					}
				}

				@Override
				public void commandSucceeded(CommandSucceededEvent event) {
				}

				@Override
				public void commandFailed(CommandFailedEvent event) {
				}
			});
			provider = RedisLockProvider.builder(factory).build();
		}
	}

	@AfterAll
	static void stopCluster() {
		if (provider != null) {
			provider.close();
			factory.destroy();
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
	 * 3000 leases on keys spread over the slots of all three masters, renewed in one tick. All three masters
	 * are frozen while the tick runs: the client must write every call (one per slot) before it gets any
	 * reply, so the tick is one pipelined round trip per node; calls sent one after the other would stop at
	 * the first. The first tick, before any master knows the script, is two pipelines per node (EVALSHA,
	 * then EVAL for the calls answered NOSCRIPT), not one call after another.
	 */
	@Test
	void renewalOfLeasesOverManySlotsIsOnePipelinedRoundTripPerNode() throws Exception {
		List<Renewal> renewals = new ArrayList<>();
		Map<Integer, Set<Integer>> slotsByNode = new HashMap<>();
		for (int i = 0; i < 3000; i++) {
			String key = "renew-" + (counter++);
			LeaseRequest request = RedisLockProviderTests.request(key, LeaseType.WRITE, Duration.ofSeconds(30));
			assertThat(provider.acquire(request).isGranted()).isTrue();
			renewals.add(new Renewal(request.ref(), Duration.ofSeconds(60)));
		}
		Map<Integer, Integer> nodeOfSlot = new HashMap<>();
		for (Renewal renewal : renewals) {
			int slot = ClusterSlotHashUtil.calculateSlot(RedisKeys.leaseKey(renewal.lease().key()));
			int node = nodeOfSlot.computeIfAbsent(slot, cluster::nodeOfSlot);
			slotsByNode.computeIfAbsent(node, (n) -> new HashSet<>()).add(slot);
		}
		assertThat(slotsByNode).as("keys on every master").hasSize(RedisClusterTestServer.MASTERS);
		int slots = slotsByNode.values().stream().mapToInt(Set::size).sum();
		LeaseRef unknown = new LeaseRef("renew-unknown", LeaseType.WRITE, "no-such-lease");
		List<Renewal> tick = new ArrayList<>(renewals);
		tick.add(new Renewal(unknown, Duration.ofSeconds(60)));
		int unknownSlots = slotsByNode.values().stream()
			.anyMatch((s) -> s.contains(ClusterSlotHashUtil.calculateSlot(RedisKeys.leaseKey("renew-unknown")))) ? 0 : 1;
		int calls = slots + unknownSlots;

		// cold: no master knows the renewal script, so each answers NOSCRIPT and gets the calls again as EVAL
		for (int n = 0; n < RedisClusterTestServer.MASTERS; n++) {
			cluster.node(n).scriptFlush();
		}
		int evalshaBeforeCold = evalshaSent.get();
		int evalBeforeCold = evalSent.get();
		assertThat(provider.renew(tick)).hasSize(renewals.size()).doesNotContain(unknown);
		assertThat(evalshaSent.get() - evalshaBeforeCold).as("EVALSHA calls of the cold tick").isEqualTo(calls);
		assertThat(evalSent.get() - evalBeforeCold).as("EVAL calls of the cold tick").isEqualTo(calls);

		long[] before = evalshaPerNode();
		int sentBefore = evalshaSent.get();

		for (int n = 0; n < RedisClusterTestServer.MASTERS; n++) {
			cluster.pause(n);
		}
		CompletableFuture<Set<LeaseRef>> renewing = CompletableFuture.supplyAsync(() -> provider.renew(tick));
		try {
			await().atMost(Duration.ofSeconds(15))
				.untilAsserted(() -> assertThat(evalshaSent.get() - sentBefore)
					.as("EVALSHA calls written while no node answers")
					.isEqualTo(calls));
		}
		finally {
			for (int n = 0; n < RedisClusterTestServer.MASTERS; n++) {
				cluster.resume(n);
			}
		}
		assertThat(renewing.get()).hasSize(renewals.size()).doesNotContain(unknown);
		long[] after = evalshaPerNode();
		int extra = unknownSlots;
		for (int n = 0; n < RedisClusterTestServer.MASTERS; n++) {
			assertThat(after[n] - before[n]).as("EVALSHA calls on master " + n)
				.isBetween((long) slotsByNode.get(n).size(), (long) slotsByNode.get(n).size() + extra);
		}
		long started = System.nanoTime();
		provider.renew(tick);
		System.out.printf("cluster renewal tick: %d leases over %d slots on %d masters in %d ms%n", renewals.size(),
				slots, RedisClusterTestServer.MASTERS, (System.nanoTime() - started) / 1_000_000);
		renewals.forEach((renewal) -> provider.release(renewal.lease()));
	}

	/**
	 * Moves the slot of a held lock to another master while it is held ({@code CLUSTER SETSLOT}
	 * IMPORTING/MIGRATING, {@code MIGRATE} of the lease hash first and of the fencing counter and wait flag
	 * afterwards, then {@code SETSLOT NODE} everywhere). At every stage the holder's renewals succeed
	 * (following {@code ASK} during the move and {@code MOVED} after it), another client is never granted the
	 * lock (denied, or refused with {@code TRYAGAIN} while the slot's keys are split), and after the release
	 * the next grant's token is higher: the fencing counter moved with the lease.
	 */
	@Test
	void movingTheSlotOfAHeldLockKeepsTheHolderAndGrantsNoSecondHolder() {
		LettuceConnectionFactory otherFactory = cluster.connectionFactory();
		try (RedisLockProvider other = RedisLockProvider.builder(otherFactory).build()) {
			String key = "reshard-" + (counter++);
			LeaseRequest held = RedisLockProviderTests.request(key, LeaseType.WRITE, Duration.ofSeconds(30));
			long token = provider.acquire(held).fencingToken();
			List<Renewal> manyWithHeld = new ArrayList<>();
			manyWithHeld.add(new Renewal(held.ref(), Duration.ofSeconds(30)));
			for (int i = 0; i < 50; i++) {
				LeaseRequest request = RedisLockProviderTests.request("reshard-other-" + (counter++), LeaseType.WRITE,
						Duration.ofSeconds(30));
				provider.acquire(request);
				manyWithHeld.add(new Renewal(request.ref(), Duration.ofSeconds(30)));
			}
			int slot = ClusterSlotHashUtil.calculateSlot(RedisKeys.leaseKey(key));
			int source = cluster.nodeOfSlot(slot);
			int target = (source + 1) % RedisClusterTestServer.MASTERS;
			String sourceId = cluster.node(source).clusterMyId();
			String targetId = cluster.node(target).clusterMyId();
			List<String> keysInSlot = cluster.node(source).clusterGetKeysInSlot(slot, 100);
			assertThat(keysInSlot).as("the lease hash and the fencing counter").contains(RedisKeys.leaseKey(key)).hasSizeGreaterThanOrEqualTo(2);

			cluster.node(target).clusterSetSlotImporting(slot, sourceId);
			cluster.node(source).clusterSetSlotMigrating(slot, targetId);
			assertHolderKeepsTheLock(other, held, manyWithHeld, token, "slot migrating, keys on the source");

			cluster.node(source).migrate("127.0.0.1", cluster.ports().get(target), 0, 5000,
					MigrateArgs.Builder.keys(RedisKeys.leaseKey(key)));
			assertHolderKeepsTheLock(other, held, manyWithHeld, token, "lease hash moved, fencing counter not yet");

			List<String> rest = cluster.node(source).clusterGetKeysInSlot(slot, 100);
			cluster.node(source).migrate("127.0.0.1", cluster.ports().get(target), 0, 5000,
					MigrateArgs.Builder.keys(rest.toArray(String[]::new)));
			assertHolderKeepsTheLock(other, held, manyWithHeld, token, "all keys moved, slot still migrating");

			for (int n = 0; n < RedisClusterTestServer.MASTERS; n++) {
				cluster.node(n).clusterSetSlotNode(slot, targetId);
			}
			assertThat(cluster.nodeOfSlot(slot)).isEqualTo(target);
			assertHolderKeepsTheLock(other, held, manyWithHeld, token, "slot owned by the target");

			assertThat(provider.release(held.ref())).isTrue();
			LeaseRequest next = RedisLockProviderTests.request(key, LeaseType.WRITE, Duration.ofSeconds(30));
			assertThat(other.acquire(next).fencingToken()).as("token after the move").isGreaterThan(token);
			other.release(next.ref());
			manyWithHeld.forEach((renewal) -> provider.release(renewal.lease()));
		}
		finally {
			otherFactory.destroy();
		}
	}

	private static void assertHolderKeepsTheLock(RedisLockProvider other, LeaseRequest held, List<Renewal> tick,
			long token, String stage) {
		assertThat(provider.extend(held.ref(), Duration.ofSeconds(30))).as("single renewal: " + stage).isTrue();
		assertThat(provider.renew(tick)).as("batched renewal: " + stage).hasSize(tick.size());
		LeaseRequest contender = RedisLockProviderTests.request(held.key(), LeaseType.WRITE, Duration.ofSeconds(30));
		try {
			assertThat(other.acquire(contender).isGranted()).as("second holder: " + stage).isFalse();
		}
		catch (LockProviderUnavailableException ex) {
			assertThat(ex).as(stage).hasMessageContaining("TRYAGAIN");
		}
		assertThat(other.inspect(held.key()).fencingToken()).as("holder's token: " + stage).isEqualTo(token);
	}

	/**
	 * With {@code shardedReleases(false)} (fleets mixing versions), wake-ups on a cluster use the classic
	 * release channel: the provider subscribes once (on one node) and a {@code PUBLISH} on any master
	 * reaches it, because a cluster broadcasts every classic message over the cluster bus to every other
	 * node. For a key on each master, a waiter of another client is woken by the release, and the release
	 * costs one bus message per other node ({@code cluster_stats_messages_publish_sent}). The default, shard
	 * channels, is tested in {@link RedisClusterShardedReleaseTests}.
	 */
	@Test
	void releaseOnAnyMasterWakesAWaiterOfAnotherClientThroughTheBroadcastChannel() throws Exception {
		LettuceConnectionFactory otherFactory = cluster.connectionFactory();
		try (RedisLockProvider provider = RedisLockProvider.builder(factory).shardedReleases(false).build();
				RedisLockProvider other = RedisLockProvider.builder(otherFactory).shardedReleases(false).build()) {
			assertThat(provider.shardedReleases()).isFalse();
			await().atMost(Duration.ofSeconds(5)).until(() -> other.releaseSubscriptions() >= 1);
			for (int master = 0; master < RedisClusterTestServer.MASTERS; master++) {
				String key = keyOnMaster(master);
				LeaseRequest held = RedisLockProviderTests.request(key, LeaseType.WRITE, Duration.ofSeconds(30));
				assertThat(provider.acquire(held).isGranted()).isTrue();
				ReleaseSubscription waiter = other.subscribe(key);
				assertThat(other.acquire(RedisLockProviderTests.request(key, LeaseType.WRITE, Duration.ofSeconds(5)))
					.isGranted()).isFalse();
				long busBefore = publishMessagesSent();
				assertThat(provider.release(held.ref())).isTrue();
				assertThat(waiter.await(TimeUnit.SECONDS.toNanos(5))).as("waiter of a key on master " + master).isTrue();
				waiter.close();
				await().atMost(Duration.ofSeconds(5))
					.untilAsserted(() -> assertThat(publishMessagesSent() - busBefore).as("bus messages of one release")
						.isEqualTo(RedisClusterTestServer.MASTERS - 1));
			}
		}
		finally {
			otherFactory.destroy();
		}
	}

	private static String keyOnMaster(int master) {
		while (true) {
			String key = "wake-" + (counter++);
			if (cluster.nodeOfSlot(ClusterSlotHashUtil.calculateSlot(RedisKeys.leaseKey(key))) == master) {
				return key;
			}
		}
	}

	private static long publishMessagesSent() {
		long sent = 0;
		for (int n = 0; n < RedisClusterTestServer.MASTERS; n++) {
			for (String line : cluster.node(n).clusterInfo().split("\r?\n")) {
				if (line.startsWith("cluster_stats_messages_publish_sent:")) {
					sent += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
				}
			}
		}
		return sent;
	}

	/**
	 * A renewal tick while a slot holding several leases is half moved: the renewal call of that slot touches
	 * keys on two masters and is refused with {@code TRYAGAIN}. The tick must still extend every lease (the
	 * refused call's leases renewed one by one, each following {@code ASK}), not fail for all leases.
	 */
	@Test
	void renewalOfASlotWhoseLeasesAreSplitByAMoveStillExtendsEveryLease() {
		List<String> keys = keysInOneSlot(4);
		List<Renewal> tick = new ArrayList<>();
		for (String key : keys) {
			LeaseRequest request = RedisLockProviderTests.request(key, LeaseType.WRITE, Duration.ofSeconds(30));
			assertThat(provider.acquire(request).isGranted()).isTrue();
			tick.add(new Renewal(request.ref(), Duration.ofSeconds(30)));
		}
		LeaseRequest elsewhere = RedisLockProviderTests.request("split-elsewhere-" + (counter++), LeaseType.WRITE,
				Duration.ofSeconds(30));
		provider.acquire(elsewhere);
		tick.add(new Renewal(elsewhere.ref(), Duration.ofSeconds(30)));
		int slot = ClusterSlotHashUtil.calculateSlot(RedisKeys.leaseKey(keys.get(0)));
		int source = cluster.nodeOfSlot(slot);
		int target = (source + 1) % RedisClusterTestServer.MASTERS;
		String targetId = cluster.node(target).clusterMyId();
		cluster.node(target).clusterSetSlotImporting(slot, cluster.node(source).clusterMyId());
		cluster.node(source).clusterSetSlotMigrating(slot, targetId);
		cluster.node(source).migrate("127.0.0.1", cluster.ports().get(target), 0, 5000,
				MigrateArgs.Builder.keys(RedisKeys.leaseKey(keys.get(0)), RedisKeys.leaseKey(keys.get(1))));

		assertThat(provider.renew(tick)).as("leases split over two masters").hasSize(tick.size());
		assertThat(provider.renew(tick.subList(0, keys.size()))).as("only the split slot").hasSize(keys.size());

		List<String> rest = cluster.node(source).clusterGetKeysInSlot(slot, 100);
		cluster.node(source).migrate("127.0.0.1", cluster.ports().get(target), 0, 5000,
				MigrateArgs.Builder.keys(rest.toArray(String[]::new)));
		for (int n = 0; n < RedisClusterTestServer.MASTERS; n++) {
			cluster.node(n).clusterSetSlotNode(slot, targetId);
		}
		assertThat(provider.renew(tick)).as("after the move").hasSize(tick.size());
		tick.forEach((renewal) -> assertThat(provider.release(renewal.lease())).isTrue());
	}

	private static List<String> keysInOneSlot(int count) {
		String first = "split-" + (counter++);
		int slot = ClusterSlotHashUtil.calculateSlot(RedisKeys.leaseKey(first));
		List<String> keys = new ArrayList<>(List.of(first));
		for (int i = 0; keys.size() < count; i++) {
			String candidate = first + "-" + i;
			if (ClusterSlotHashUtil.calculateSlot(RedisKeys.leaseKey(candidate)) == slot) {
				keys.add(candidate);
			}
		}
		return keys;
	}

	private static long[] evalshaPerNode() {
		long[] calls = new long[RedisClusterTestServer.MASTERS];
		for (int n = 0; n < calls.length; n++) {
			calls[n] = cluster.commandCalls(n, "evalsha");
		}
		return calls;
	}

}
