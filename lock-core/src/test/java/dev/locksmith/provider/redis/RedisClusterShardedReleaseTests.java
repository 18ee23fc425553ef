package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;
import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.ReleaseSubscription;
import dev.locksmith.tck.CountingLockProvider;
import dev.locksmith.testsupport.FairQueueChaos;
import dev.locksmith.testsupport.WriterAmongReaders;
import dev.locksmith.testsupport.RedisClusterTestServer;
import io.lettuce.core.KillArgs;
import io.lettuce.core.MigrateArgs;
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
 * Wake-ups on a Redis Cluster through sharded pub/sub: a release publishes ({@code SPUBLISH}) on its key's
 * shard channel {@code {K}:locksmith:releases}, which lives in the key's slot, so only the master of that
 * slot carries the message; a waiter subscribes ({@code SSUBSCRIBE}) on that channel, on that master,
 * before its denied attempt. The waiters here belong to another provider on its own connection factory (as
 * in another process). Skipped, naming the package, without a {@code redis-server} on the {@code PATH}.
 */
class RedisClusterShardedReleaseTests {

	private static final long WAKE_UP_NANOS = TimeUnit.SECONDS.toNanos(10);

	private static @Nullable RedisClusterTestServer cluster;

	private static @Nullable LettuceConnectionFactory holderFactory;

	private static @Nullable LettuceConnectionFactory waiterFactory;

	private static @Nullable RedisLockProvider holder;

	private static @Nullable RedisLockProvider waiter;

	private static int counter;

	@BeforeAll
	static void startCluster() {
		if (RedisClusterTestServer.isInstalled()) {
			cluster = new RedisClusterTestServer();
			holderFactory = cluster.connectionFactory();
			waiterFactory = cluster.connectionFactory();
			holder = RedisLockProvider.builder(holderFactory).build();
			waiter = RedisLockProvider.builder(waiterFactory).build();
		}
	}

	@AfterAll
	static void stopCluster() {
		if (holder != null) {
			holder.close();
			waiter.close();
			holderFactory.destroy();
			waiterFactory.destroy();
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
	 * For a key on each master: the waiter's subscription is on that master only ({@code PUBSUB
	 * SHARDNUMSUB}), the release runs one {@code SPUBLISH} on that master and none elsewhere, no classic
	 * {@code PUBLISH} anywhere, and the waiter is woken by the message (its {@code await} returns
	 * {@code true}; a timeout would return {@code false}), long before the denial's retry hint of ~30 s.
	 */
	@Test
	void releaseWakesAWaiterOfAnotherProviderThroughOneMastersShardChannel() throws Exception {
		for (int master = 0; master < RedisClusterTestServer.MASTERS; master++) {
			String key = keyOnMaster(master);
			LeaseRequest held = request(key);
			assertThat(holder.acquire(held).isGranted()).isTrue();
			try (ReleaseSubscription subscription = waiter.subscribe(key, LeaseType.WRITE)) {
				assertThat(waiter.acquire(request(key)).isGranted()).isFalse();
				for (int n = 0; n < RedisClusterTestServer.MASTERS; n++) {
					assertThat(shardSubscribers(n, key)).as("subscribers of the key's channel on master " + n)
						.isEqualTo((n == master) ? 1 : 0);
				}
				long[] spublishBefore = calls("spublish");
				long[] publishBefore = calls("publish");
				assertThat(holder.release(held.ref())).isTrue();
				assertThat(subscription.await(WAKE_UP_NANOS)).as("woken by the release on master " + master).isTrue();
				long[] spublish = delta(calls("spublish"), spublishBefore);
				long[] publish = delta(calls("publish"), publishBefore);
				for (int n = 0; n < RedisClusterTestServer.MASTERS; n++) {
					assertThat(spublish[n]).as("SPUBLISH on master " + n).isEqualTo((n == master) ? 1 : 0);
					assertThat(publish[n]).as("PUBLISH on master " + n).isZero();
				}
				LeaseRequest next = request(key);
				assertThat(waiter.acquire(next).isGranted()).isTrue();
				waiter.release(next.ref());
			}
			await().atMost(Duration.ofSeconds(5))
				.untilAsserted(() -> assertThat(shardSubscribers(cluster.nodeOfSlot(slot(key)), key))
					.as("unsubscribed when the last waiter left")
					.isZero());
		}
	}

	/**
	 * Through the engine, as an application uses it: a blocked acquire in another process (its own engine
	 * and provider) gets the lock through the release's message. The holder's lease has 60 s left and the
	 * waiter waits at most 20 s, so only a wake-up can get it the lock in time (it would otherwise sleep
	 * until the holder's lease runs out); and it takes at most three attempts (denied, denied again right
	 * after subscribing, granted after the wake-up), no retry loop. The only other wake-up allowed is a
	 * re-subscription's (after a reconnect or a topology change an earlier test caused), counted apart.
	 */
	@Test
	void blockedAcquireOfAnotherEngineGetsTheLockThroughTheRelease() throws Exception {
		CountingLockProvider counting = new CountingLockProvider(waiter);
		LockEngine holding = Locksmith.builder(holder).build();
		LockEngine waiting = Locksmith.builder(counting).build();
		try {
			String key = "engine-handoff-" + (counter++);
			LockOptions options = LockOptions.ttl(Duration.ofSeconds(60)).withWaitTime(Duration.ofSeconds(20));
			LockHandle held = holding.acquire(key, options.withWaitTime(Duration.ZERO));
			long subscriptionsBefore = waiter.releaseSubscriptions();
			long resubscriptionWakeUpsBefore = waiter.resubscriptionWakeUps();
			CompletableFuture<Long> acquired = CompletableFuture.supplyAsync(() -> {
				try (LockHandle handle = waiting.acquire(key, options)) {
					return handle.fencingToken();
				}
			});
			await().atMost(Duration.ofSeconds(15)).until(() -> waiter.releaseSubscriptions() > subscriptionsBefore);
			held.release();
			assertThat(acquired.get(30, TimeUnit.SECONDS)).isGreaterThan(held.fencingToken());
			long otherWakeUps = waiter.resubscriptionWakeUps() - resubscriptionWakeUpsBefore;
			assertThat(counting.acquires.get()).as("attempts of the waiting engine (%d re-subscription wake-ups)", otherWakeUps)
				.isBetween(2, 3 + (int) otherWakeUps);
		}
		finally {
			waiting.close();
			holding.close();
		}
	}

	/**
	 * The provider reads every master's version and picks shard channels on a Redis 7 cluster by default.
	 */
	@Test
	void providerOnARedis7ClusterUsesShardChannels() {
		assertThat(new RedisLeaseNode(holderFactory, RedisLockProvider.DEFAULT_CHANNEL).lowestMajorVersion())
			.isGreaterThanOrEqualTo(7);
		assertThat(holder.shardedReleases()).isTrue();
		assertThat(waiter.shardedReleases()).isTrue();
	}

	/**
	 * A release nobody waits for publishes nothing, and subscribing costs nothing until someone waits: no
	 * shard channel is subscribed on any master while no one waits.
	 */
	@Test
	void releaseWithoutWaitersPublishesNothing() {
		String key = keyOnMaster(0);
		LeaseRequest held = request(key);
		long[] before = calls("spublish");
		assertThat(holder.acquire(held).isGranted()).isTrue();
		assertThat(holder.release(held.ref())).isTrue();
		assertThat(delta(calls("spublish"), before)).containsOnly(0);
		assertThat(shardSubscribers(0, key)).isZero();
	}

	/**
	 * Two waiters of one provider on one key share one server subscription, which stays until the last of
	 * them leaves; both are woken by a shared-lease release (readers), and the first one's leaving does not
	 * unsubscribe the second.
	 */
	@Test
	void waitersOfOneKeyShareOneSubscriptionUntilTheLastLeaves() throws Exception {
		String key = keyOnMaster(1);
		LeaseRequest held = request(key);
		assertThat(holder.acquire(held).isGranted()).isTrue();
		ReleaseSubscription first = waiter.subscribe(key, LeaseType.READ);
		ReleaseSubscription second = waiter.subscribe(key, LeaseType.READ);
		assertThat(shardSubscribers(1, key)).isEqualTo(1);
		first.close();
		assertThat(shardSubscribers(1, key)).as("still subscribed for the second waiter").isEqualTo(1);
		assertThat(waiter.acquire(request(key)).isGranted()).isFalse();
		assertThat(holder.release(held.ref())).isTrue();
		assertThat(second.await(WAKE_UP_NANOS)).isTrue();
		second.close();
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(shardSubscribers(1, key)).isZero());
	}

	/**
	 * The master drops the waiter's pub/sub connection ({@code CLIENT KILL TYPE pubsub}) while it waits on two
	 * keys of two different slots on that master. Lettuce's own re-subscription sends both channels in one
	 * {@code SSUBSCRIBE}, which a cluster refuses ({@code CROSSSLOT}); the listener re-subscribes each channel
	 * by itself, wakes its waiters (a release may have been missed while disconnected), and a release after
	 * that wakes them again through the restored subscription.
	 */
	@Test
	void waiterIsResubscribedAndWokenAfterItsConnectionIsKilled() throws Exception {
		int master = 2;
		String first = keyOnMaster(master);
		String second = keyOnMaster(master);
		while (slot(second) == slot(first)) {
			second = keyOnMaster(master);
		}
		LeaseRequest heldFirst = request(first);
		LeaseRequest heldSecond = request(second);
		assertThat(holder.acquire(heldFirst).isGranted()).isTrue();
		assertThat(holder.acquire(heldSecond).isGranted()).isTrue();
		try (ReleaseSubscription onFirst = waiter.subscribe(first, LeaseType.WRITE);
				ReleaseSubscription onSecond = waiter.subscribe(second, LeaseType.WRITE)) {
			assertThat(waiter.acquire(request(first)).isGranted()).isFalse();
			assertThat(waiter.acquire(request(second)).isGranted()).isFalse();
			assertThat(shardSubscribers(master, first)).isEqualTo(1);
			long resubscriptionsBefore = waiter.releaseSubscriptions();

			assertThat(cluster.node(master).clientKill(KillArgs.Builder.typePubsub())).isPositive();

			assertThat(onFirst.await(WAKE_UP_NANOS)).as("woken on re-subscription").isTrue();
			assertThat(onSecond.await(WAKE_UP_NANOS)).as("woken on re-subscription").isTrue();
			String otherKey = second;
			await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
				assertThat(shardSubscribers(master, first)).as("first channel re-subscribed").isEqualTo(1);
				assertThat(shardSubscribers(master, otherKey)).as("second channel re-subscribed").isEqualTo(1);
			});
			assertThat(waiter.releaseSubscriptions()).isGreaterThan(resubscriptionsBefore);
			assertThat(holder.release(heldFirst.ref())).isTrue();
			assertThat(onFirst.await(WAKE_UP_NANOS)).as("woken by a release after the reconnect").isTrue();
			assertThat(holder.release(heldSecond.ref())).isTrue();
			assertThat(onSecond.await(WAKE_UP_NANOS)).as("woken by a release after the reconnect").isTrue();
		}
	}

	/**
	 * The slot of a key with a subscribed waiter moves to another master. The old master drops the shard
	 * channel ({@code SUNSUBSCRIBE} to the client); the listener subscribes again, now on the new master,
	 * and wakes the waiter (a release may have happened in between), and a release on the new master wakes
	 * it again. The move happens right after the denial, the release right after the move: the wake-up is
	 * not lost either way.
	 */
	@Test
	void waiterFollowsItsKeysSlotToAnotherMaster() throws Exception {
		String key = keyOnMaster(0);
		LeaseRequest held = request(key);
		assertThat(holder.acquire(held).isGranted()).isTrue();
		try (ReleaseSubscription subscription = waiter.subscribe(key, LeaseType.WRITE)) {
			assertThat(waiter.acquire(request(key)).isGranted()).isFalse();
			int target = moveSlot(slot(key));
			assertThat(holder.release(held.ref())).isTrue();
			assertThat(subscription.await(WAKE_UP_NANOS)).as("woken after the move").isTrue();
			await().atMost(Duration.ofSeconds(10))
				.untilAsserted(() -> assertThat(shardSubscribers(target, key)).as("subscribed on the new master")
					.isEqualTo(1));
			assertThat(shardSubscribers(0, key)).isZero();

			LeaseRequest again = request(key);
			assertThat(holder.acquire(again).isGranted()).isTrue();
			assertThat(waiter.acquire(request(key)).isGranted()).isFalse();
			long[] before = calls("spublish");
			assertThat(holder.release(again.ref())).isTrue();
			assertThat(subscription.await(WAKE_UP_NANOS)).as("woken through the new master").isTrue();
			assertThat(delta(calls("spublish"), before)[target]).isEqualTo(1);
		}
	}

	/**
	 * A queued waiter's key moves to another master between its queued attempt and the release: the queue
	 * moves with the slot, the release on the new master hands the key to the waiter, and the waiter is
	 * woken (the hand-off or the re-subscription) and claims it with a higher token.
	 */
	@Test
	void aQueuedWaiterIsHandedItsKeyAfterTheSlotMoved() throws Exception {
		String key = keyOnMaster(1);
		LeaseRequest held = request(key);
		long heldToken = holder.acquire(held).fencingToken();
		LeaseRequest queued = request(key);
		try (ReleaseSubscription subscription = waiter.subscribe(queued)) {
			assertThat(waiter.acquire(queued).isGranted()).isFalse();
			int target = moveSlot(slot(key));
			assertThat(holder.release(held.ref())).isTrue();
			assertThat(holder.inspect(key).leases()).extracting(LeaseInfo::leaseId).containsExactly(queued.leaseId());
			assertThat(subscription.await(WAKE_UP_NANOS)).as("woken after the move").isTrue();
			assertThat(waiter.acquire(queued).fencingToken()).isGreaterThan(heldToken);
			assertThat(cluster.nodeOfSlot(slot(key))).isEqualTo(target);
			waiter.release(queued.ref());
		}
	}

	/**
	 * The master drops a waited-for key's shard channel while its slot is not served
	 * ({@code CLUSTER DELSLOTS}: the channel is dropped and the listener's re-subscription is refused with
	 * {@code CLUSTERDOWN}, as during a failover before the cluster is whole again); then the slot is served
	 * again. The re-subscription is retried until the master takes it, the waiter is woken once it is in
	 * place, and the next release wakes it through the channel: a refused re-subscription must not leave
	 * the key without a subscription while its waiter sleeps on the holder's 30 s retry hint.
	 */
	@Test
	void refusedResubscriptionIsRetriedUntilTheMasterTakesIt() throws Exception {
		int master = 1;
		String key = keyOnMaster(master);
		int slot = slot(key);
		LeaseRequest held = request(key);
		assertThat(holder.acquire(held).isGranted()).isTrue();
		try (ReleaseSubscription subscription = waiter.subscribe(key, LeaseType.WRITE)) {
			assertThat(waiter.acquire(request(key)).isGranted()).isFalse();
			assertThat(shardSubscribers(master, key)).isEqualTo(1);
			long refusedBefore = rejectedCalls(master, "ssubscribe");
			cluster.node(master).clusterDelSlots(slot);
			try {
				await().atMost(Duration.ofSeconds(10))
					.untilAsserted(() -> assertThat(rejectedCalls(master, "ssubscribe")).as("re-subscription refused")
						.isGreaterThan(refusedBefore));
				assertThat(shardSubscribers(master, key)).isZero();
				while (subscription.await(0)) {
					// wake-ups before the channel was back
				}
			}
			finally {
				cluster.node(master).clusterAddSlots(slot);
			}
			await().atMost(Duration.ofSeconds(10))
				.until(() -> cluster.node(master).clusterInfo().contains("cluster_state:ok"));
			assertThat(subscription.await(WAKE_UP_NANOS)).as("woken once subscribed again").isTrue();
			assertThat(shardSubscribers(master, key)).as("subscribed again").isEqualTo(1);
			assertThat(waiter.acquire(request(key)).isGranted()).isFalse();
			assertThat(holder.release(held.ref())).isTrue();
			assertThat(subscription.await(WAKE_UP_NANOS)).as("woken by the release").isTrue();
		}
	}

	/**
	 * Subscriptions come and go with the waiters, under contention: eight threads each subscribe and leave
	 * 1,250 distinct keys (10,000 in all), while four more threads keep joining and leaving three shared
	 * keys (the last waiter of a key leaving while a new one arrives). Whenever a waiter holds its
	 * subscription, the key's master has the channel subscribed (a new waiter's {@code SSUBSCRIBE} is
	 * never undone by the previous last waiter's {@code SUNSUBSCRIBE}); at the end no channel is left on any
	 * master and the listener keeps no state for any key.
	 */
	@Test
	void subscriptionsFollowTheWaitersWithoutLeakingUnderContention() throws Exception {
		String channel = "locksmith:contention";
		try (RedisShardedReleaseListener listener = RedisShardedReleaseListener.create(waiterFactory, channel,
				new dev.locksmith.provider.support.ReleaseSignals(), (body) -> "released")) {
			List<String> shared = List.of(keyOnMaster(0), keyOnMaster(1), keyOnMaster(2));
			java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(12);
			try {
				List<java.util.concurrent.Future<Long>> work = new java.util.ArrayList<>();
				for (int t = 0; t < 8; t++) {
					int thread = t;
					work.add(threads.submit(() -> {
						for (int i = 0; i < 1_250; i++) {
							listener.subscribe("leak-" + thread + "-" + i, LeaseType.WRITE).close();
						}
						return 0L;
					}));
				}
				for (int t = 0; t < 4; t++) {
					int thread = t;
					work.add(threads.submit(() -> {
						long unsubscribedWhileHeld = 0;
						for (int i = 0; i < 300; i++) {
							String key = shared.get((thread + i) % shared.size());
							try (ReleaseSubscription held = listener.subscribe(key, LeaseType.WRITE)) {
								String name = RedisKeys.shardChannel(key, channel);
								Long count = cluster.node(cluster.nodeOfSlot(slot(key))).pubsubShardNumsub(name).get(name);
								if (count == null || count != 1) {
									unsubscribedWhileHeld++;
								}
							}
						}
						return unsubscribedWhileHeld;
					}));
				}
				long unsubscribedWhileHeld = 0;
				for (java.util.concurrent.Future<Long> done : work) {
					unsubscribedWhileHeld += done.get(120, TimeUnit.SECONDS);
				}
				assertThat(unsubscribedWhileHeld).as("checks that found a held key's channel unsubscribed").isZero();
			}
			finally {
				threads.shutdownNow();
			}
			await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
				assertThat(listener.trackedKeys()).as("keys the listener keeps state for").isZero();
				for (int n = 0; n < RedisClusterTestServer.MASTERS; n++) {
					assertThat(cluster.node(n).pubsubShardChannels("*" + channel)).as("channels on master " + n).isEmpty();
				}
			});
		}
	}

	/**
	 * A re-subscription of every wanted channel (after a topology change) racing the last waiter of a key
	 * leaving: the re-sent {@code SSUBSCRIBE} must never follow the waiter's {@code SUNSUBSCRIBE}, which
	 * would leave the channel subscribed with no waiter. 2,000 keys, each subscribed, a topology event
	 * published, and the subscription closed at once; at the end no channel is left on any master.
	 */
	@Test
	void reSubscriptionRacingTheLastWaitersLeaveLeavesNoChannel() throws Exception {
		String channel = "locksmith:resubscribe-race";
		io.lettuce.core.cluster.RedisClusterClient client = (io.lettuce.core.cluster.RedisClusterClient) waiterFactory
			.getRequiredNativeClient();
		try (RedisShardedReleaseListener listener = RedisShardedReleaseListener.create(waiterFactory, channel,
				new dev.locksmith.provider.support.ReleaseSignals(), (body) -> "released")) {
			for (int i = 0; i < 2_000; i++) {
				ReleaseSubscription held = listener.subscribe("race-" + i, LeaseType.WRITE);
				client.getResources()
					.eventBus()
					.publish(new io.lettuce.core.cluster.event.ClusterTopologyChangedEvent(List.of(), List.of()));
				held.close();
			}
			await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
				assertThat(listener.trackedKeys()).as("keys the listener keeps state for").isZero();
				for (int n = 0; n < RedisClusterTestServer.MASTERS; n++) {
					assertThat(cluster.node(n).pubsubShardChannels("*" + channel)).as("channels on master " + n).isEmpty();
				}
			});
		}
	}

	/**
	 * Eight waiters of one key subscribe at once while the key's master does not answer ({@code SIGSTOP}
	 * after the denials): each waits at most about one command timeout (1 s here) for the confirmation and
	 * then sleeps on its retry hint. They share the one pending {@code SSUBSCRIBE} instead of queueing behind
	 * each other, which would hold the last of them for eight timeouts, far past a short wait time. After
	 * the master answers again, the channel is subscribed and a release wakes them.
	 */
	@Test
	void waitersOfOneKeyDoNotQueueBehindEachOthersUnansweredSubscribe() throws Exception {
		int master = 2;
		String key = keyOnMaster(master);
		LeaseRequest held = request(key);
		assertThat(holder.acquire(held).isGranted()).isTrue();
		int waiters = 8;
		java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(waiters);
		List<ReleaseSubscription> subscriptions = new java.util.concurrent.CopyOnWriteArrayList<>();
		long[] subscribeMillis = new long[waiters];
		cluster.pause(master);
		try {
			java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
			List<java.util.concurrent.Future<?>> work = new java.util.ArrayList<>();
			for (int i = 0; i < waiters; i++) {
				int n = i;
				work.add(threads.submit(() -> {
					start.await();
					long begin = System.nanoTime();
					subscriptions.add(waiter.subscribe(key, LeaseType.READ));
					subscribeMillis[n] = (System.nanoTime() - begin) / 1_000_000;
					return null;
				}));
			}
			start.countDown();
			for (java.util.concurrent.Future<?> done : work) {
				done.get(60, TimeUnit.SECONDS);
			}
		}
		finally {
			cluster.resume(master);
			threads.shutdownNow();
		}
		try {
			java.util.Arrays.sort(subscribeMillis);
			assertThat(subscribeMillis[waiters - 1]).as("longest subscribe (ms) with a 1 s command timeout; all: "
					+ java.util.Arrays.toString(subscribeMillis)).isLessThan(4_000);
			await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(shardSubscribers(master, key)).isEqualTo(1));
			assertThat(waiter.acquire(request(key)).isGranted()).isFalse();
			assertThat(holder.release(held.ref())).isTrue();
			for (ReleaseSubscription subscription : subscriptions) {
				assertThat(subscription.await(WAKE_UP_NANOS)).as("reader woken by the release").isTrue();
			}
		}
		finally {
			subscriptions.forEach(ReleaseSubscription::close);
			holder.release(held.ref());
		}
	}

	/**
	 * A release while its key's slot is half-migrated: the key already moved to the importing master (the
	 * release follows {@code ASK} there), the slot not yet reassigned, so the waiter's subscription is still
	 * on the old master and the release's {@code SPUBLISH} on the new one does not reach it. The waiter is
	 * woken by its listener instead: once the slot is reassigned the old master drops the channel, the
	 * listener subscribes on the new master and wakes it (a topology change seen by the client before that
	 * wakes it too), and it then gets the lock.
	 */
	@Test
	void releaseDuringASlotMigrationWakesTheWaiterOnceTheSlotIsReassigned() throws Exception {
		String key = keyOnMaster(0);
		int slot = slot(key);
		int source = 0;
		int target = 1;
		LeaseRequest held = request(key);
		assertThat(holder.acquire(held).isGranted()).isTrue();
		try (ReleaseSubscription subscription = waiter.subscribe(key, LeaseType.WRITE)) {
			assertThat(waiter.acquire(request(key)).isGranted()).isFalse();
			String targetId = cluster.node(target).clusterMyId();
			cluster.node(target).clusterSetSlotImporting(slot, cluster.node(source).clusterMyId());
			cluster.node(source).clusterSetSlotMigrating(slot, targetId);
			List<String> keys = cluster.node(source).clusterGetKeysInSlot(slot, 100);
			cluster.node(source).migrate("127.0.0.1", cluster.ports().get(target), 0, 5000,
					MigrateArgs.Builder.keys(keys.toArray(String[]::new)));
			long[] before = calls("spublish");
			long messagesBefore = waiter.releaseMessages();
			assertThat(holder.release(held.ref())).isTrue();
			assertThat(delta(calls("spublish"), before)).as("SPUBLISH per master").containsExactly(0, 1, 0);
			for (int n = 0; n < RedisClusterTestServer.MASTERS; n++) {
				cluster.node(n).clusterSetSlotNode(slot, targetId);
			}
			assertThat(subscription.await(WAKE_UP_NANOS)).as("woken once the slot is reassigned").isTrue();
			assertThat(waiter.releaseMessages() - messagesBefore).as("release messages that reached the waiter").isZero();
			LeaseRequest next = request(key);
			assertThat(waiter.acquire(next).isGranted()).isTrue();
			waiter.release(next.ref());
		}
	}

	/**
	 * A listener closed while a waiter waits: the waiter's server subscription goes with the connection,
	 * its {@code await} still returns at its timeout (so it falls back to its retry hint), leaving works,
	 * and a waiter that arrives after the close is registered without a server subscription and without
	 * an exception.
	 */
	@Test
	void listenerClosedWhileAWaiterWaitsLeavesItOnItsRetryHint() throws Exception {
		String key = keyOnMaster(0);
		String channel = "locksmith:closing";
		String name = RedisKeys.shardChannel(key, channel);
		RedisShardedReleaseListener listener = RedisShardedReleaseListener.create(waiterFactory, channel,
				new dev.locksmith.provider.support.ReleaseSignals(), (body) -> "released");
		ReleaseSubscription waiting = listener.subscribe(key, LeaseType.WRITE);
		assertThat(cluster.node(0).pubsubShardNumsub(name).get(name)).isEqualTo(1);
		listener.close();
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(cluster.node(0).pubsubShardNumsub(name).get(name)).isZero());
		while (waiting.await(0)) {
			// wake-ups from before the close (re-subscriptions when the listener's connections came up)
		}
		assertThat(waiting.await(TimeUnit.MILLISECONDS.toNanos(50))).as("no wake-up, the retry hint applies").isFalse();
		try (ReleaseSubscription late = listener.subscribe(key, LeaseType.WRITE)) {
			assertThat(late.await(0)).isFalse();
		}
		waiting.close();
		assertThat(listener.trackedKeys()).isZero();
	}

	/**
	 * Classic channel against shard channels, measured (printed, not asserted as time): 300 hand-offs over
	 * keys on all masters, each with one waiter in a second process and a third process waiting on some
	 * other key all along. Asserted are the counts: per release, the classic channel has one {@code PUBLISH}
	 * on the key's master and one cluster-bus message to every other master, and reaches every subscribed
	 * process (the third one too); the shard channel has one {@code SPUBLISH} on the key's master, no bus
	 * message (no replicas here) and reaches only the process that waits for that key.
	 */
	@Test
	void classicAndShardedWakeUpsMeasured() throws Exception {
		for (boolean sharded : new boolean[] { false, true }) {
			LettuceConnectionFactory bystanderFactory = cluster.connectionFactory();
			try (RedisLockProvider releaser = RedisLockProvider.builder(holderFactory).shardedReleases(sharded).build();
					RedisLockProvider waiting = RedisLockProvider.builder(waiterFactory).shardedReleases(sharded).build();
					RedisLockProvider bystander = RedisLockProvider.builder(bystanderFactory)
						.shardedReleases(sharded)
						.build()) {
				assertThat(waiting.shardedReleases()).isEqualTo(sharded);
				if (!sharded) {
					await().atMost(Duration.ofSeconds(5))
						.until(() -> waiting.releaseSubscriptions() >= 1 && bystander.releaseSubscriptions() >= 1);
				}
				String elsewhere = keyOnMaster(0);
				LeaseRequest blocking = request(elsewhere);
				assertThat(releaser.acquire(blocking).isGranted()).isTrue();
				ReleaseSubscription idle = bystander.subscribe(elsewhere, LeaseType.WRITE);
				assertThat(bystander.acquire(request(elsewhere)).isGranted()).isFalse();
				int rounds = 300;
				long[] wakeNanos = new long[rounds];
				long[] subscribeNanos = new long[rounds];
				long[] commandsBefore = calls(sharded ? "spublish" : "publish");
				long busBefore = busMessagesSent();
				long bystanderBefore = bystander.releaseMessages();
				for (int i = 0; i < rounds; i++) {
					String key = keyOnMaster(i % RedisClusterTestServer.MASTERS);
					LeaseRequest held = request(key);
					assertThat(releaser.acquire(held).isGranted()).isTrue();
					long subscribing = System.nanoTime();
					try (ReleaseSubscription subscription = waiting.subscribe(key, LeaseType.WRITE)) {
						subscribeNanos[i] = System.nanoTime() - subscribing;
						assertThat(waiting.acquire(request(key)).isGranted()).isFalse();
						assertThat(releaser.release(held.ref())).isTrue();
						long released = System.nanoTime();
						assertThat(subscription.await(WAKE_UP_NANOS)).isTrue();
						wakeNanos[i] = System.nanoTime() - released;
					}
				}
				long[] commands = delta(calls(sharded ? "spublish" : "publish"), commandsBefore);
				long bus = busMessagesSent() - busBefore;
				for (int n = 0; n < RedisClusterTestServer.MASTERS; n++) {
					assertThat(commands[n]).as("publish commands on master " + n).isEqualTo(rounds / RedisClusterTestServer.MASTERS);
				}
				assertThat(bus).as("cluster bus messages").isEqualTo(sharded ? 0 : (long) rounds * (RedisClusterTestServer.MASTERS - 1));
				java.util.Arrays.sort(wakeNanos);
				java.util.Arrays.sort(subscribeNanos);
				System.out.printf("%s: %d releases; per master %s %s; bus messages %d; messages at master n = own + bus received; "
						+ "wake-up after the release reply: median %d us, p90 %d us, max %d us; subscribe: median %d us%n",
						sharded ? "sharded" : "classic", rounds, java.util.Arrays.toString(commands),
						sharded ? "SPUBLISH" : "PUBLISH", bus, wakeNanos[rounds / 2] / 1000, wakeNanos[rounds * 9 / 10] / 1000,
						wakeNanos[rounds - 1] / 1000, subscribeNanos[rounds / 2] / 1000);
				long expected = sharded ? 0 : rounds;
				await().atMost(Duration.ofSeconds(10))
					.untilAsserted(() -> assertThat(bystander.releaseMessages() - bystanderBefore)
						.as("messages reaching a process that waits on another key")
						.isEqualTo(expected));
				long bystanderMessages = bystander.releaseMessages() - bystanderBefore;
				System.out.printf("%s: messages reaching a process that waits on another key: %d%n",
						sharded ? "sharded" : "classic", bystanderMessages);
				idle.close();
				releaser.release(blocking.ref());
			}
			finally {
				bystanderFactory.destroy();
			}
		}
	}

	/**
	 * The fair queue on a cluster: a release hands the key to the oldest queued waiter (of another provider)
	 * and its hand-off message travels by {@code SPUBLISH} on the key's shard channel, on that key's master
	 * only, with no classic {@code PUBLISH}; it wakes that waiter and not the one queued behind it.
	 */
	@Test
	void aHandOffTravelsOnTheKeysShardChannelAndWakesOnlyTheQueuedHead() throws Exception {
		for (int master = 0; master < RedisClusterTestServer.MASTERS; master++) {
			String key = keyOnMaster(master);
			LeaseRequest held = request(key);
			assertThat(holder.acquire(held).isGranted()).isTrue();
			LeaseRequest first = request(key);
			LeaseRequest second = request(key);
			try (ReleaseSubscription firstWaits = waiter.subscribe(first);
					ReleaseSubscription secondWaits = waiter.subscribe(second)) {
				assertThat(shardSubscribers(master, key)).as("queued waiters subscribe the key's shard channel")
					.isEqualTo(1);
				assertThat(waiter.acquire(first).isGranted()).isFalse();
				assertThat(waiter.acquire(second).isGranted()).isFalse();
				long[] spublishBefore = calls("spublish");
				long[] publishBefore = calls("publish");
				assertThat(holder.release(held.ref())).isTrue();
				assertThat(firstWaits.await(WAKE_UP_NANOS)).as("hand-off on master " + master).isTrue();
				long[] spublish = delta(calls("spublish"), spublishBefore);
				long[] publish = delta(calls("publish"), publishBefore);
				for (int n = 0; n < RedisClusterTestServer.MASTERS; n++) {
					assertThat(spublish[n]).as("SPUBLISH on master " + n).isEqualTo((n == master) ? 1 : 0);
					assertThat(publish[n]).as("PUBLISH on master " + n).isZero();
				}
				assertThat(secondWaits.await(0)).as("the second waiter is not woken").isFalse();
				long token = waiter.acquire(first).fencingToken();
				assertThat(token).isPositive();
				assertThat(waiter.release(first.ref())).isTrue();
				assertThat(secondWaits.await(WAKE_UP_NANOS)).isTrue();
				assertThat(waiter.acquire(second).fencingToken()).isGreaterThan(token);
				waiter.release(second.ref());
			}
		}
	}

	/**
	 * The fair queue attacked on a cluster, with sharded hand-offs: writers giving up as the key is handed
	 * to them, try-once writers and readers over two providers never overlap a writer, and write tokens
	 * strictly increase.
	 */
	@Test
	void queuedWritersOnAClusterNeverOverlapAnyoneAndTokensIncrease() throws Exception {
		List<LockEngine> engines = List.of(Locksmith.builder(holder).build(), Locksmith.builder(waiter).build());
		try {
			assertThat(FairQueueChaos.run(engines, "chaos:" + System.nanoTime(), 3, 40)).isPositive();
		}
		finally {
			engines.forEach(LockEngine::close);
		}
	}

	/**
	 * A writer among a steady stream of overlapping readers, each reader its own provider on the cluster: once
	 * queued, the writer holds new readers back and is granted when the readers inside have left; no reader
	 * overlaps it and the readers behind it are granted after it (see {@link WriterAmongReaders}).
	 */
	@Test
	void aQueuedWriterOnAClusterIsNotStarvedByAStreamOfReaders() throws Exception {
		int readers = 3;
		List<LettuceConnectionFactory> factories = new ArrayList<>();
		List<RedisLockProvider> providers = new ArrayList<>();
		List<LockEngine> engines = new ArrayList<>();
		try {
			for (int i = 0; i <= readers; i++) {
				LettuceConnectionFactory own = cluster.connectionFactory();
				factories.add(own);
				RedisLockProvider each = RedisLockProvider.builder(own).build();
				providers.add(each);
				engines.add(Locksmith.builder(each).build());
			}
			WriterAmongReaders.run(engines.subList(0, readers), engines.get(readers), "readers:" + System.nanoTime(),
					Duration.ofSeconds(10));
		}
		finally {
			engines.forEach(LockEngine::close);
			providers.forEach(RedisLockProvider::close);
			factories.forEach(LettuceConnectionFactory::destroy);
		}
	}

	private static long busMessagesSent() {
		long sent = 0;
		for (int n = 0; n < RedisClusterTestServer.MASTERS; n++) {
			for (String line : cluster.node(n).clusterInfo().split("\r?\n")) {
				if (line.startsWith("cluster_stats_messages_publish_sent:")
						|| line.startsWith("cluster_stats_messages_publishshard_sent:")) {
					sent += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
				}
			}
		}
		return sent;
	}

	/** Moves a slot (with its keys) to the next master; returns that master's index. */
	private static int moveSlot(int slot) {
		int source = cluster.nodeOfSlot(slot);
		int target = (source + 1) % RedisClusterTestServer.MASTERS;
		String targetId = cluster.node(target).clusterMyId();
		cluster.node(target).clusterSetSlotImporting(slot, cluster.node(source).clusterMyId());
		cluster.node(source).clusterSetSlotMigrating(slot, targetId);
		List<String> keys = cluster.node(source).clusterGetKeysInSlot(slot, 100);
		if (!keys.isEmpty()) {
			cluster.node(source).migrate("127.0.0.1", cluster.ports().get(target), 0, 5000,
					MigrateArgs.Builder.keys(keys.toArray(String[]::new)));
		}
		for (int n = 0; n < RedisClusterTestServer.MASTERS; n++) {
			cluster.node(n).clusterSetSlotNode(slot, targetId);
		}
		return target;
	}

	private static LeaseRequest request(String key) {
		return RedisLockProviderTests.request(key, LeaseType.WRITE, Duration.ofSeconds(30));
	}

	private static int slot(String key) {
		return ClusterSlotHashUtil.calculateSlot(RedisKeys.leaseKey(key));
	}

	private static String keyOnMaster(int master) {
		while (true) {
			String key = "sharded-" + (counter++);
			if (cluster.nodeOfSlot(slot(key)) == master) {
				return key;
			}
		}
	}

	private static long shardSubscribers(int master, String key) {
		String channel = RedisKeys.shardChannel(key, RedisLockProvider.DEFAULT_CHANNEL);
		Long count = cluster.node(master).pubsubShardNumsub(channel).get(channel);
		return (count != null) ? count : 0;
	}

	/** Calls of a command that a master refused ({@code rejected_calls} in {@code INFO commandstats}). */
	private static long rejectedCalls(int master, String command) {
		for (String line : cluster.node(master).info("commandstats").split("\r?\n")) {
			if (line.startsWith("cmdstat_" + command + ":")) {
				for (String part : line.substring(line.indexOf(':') + 1).split(",")) {
					if (part.startsWith("rejected_calls=")) {
						return Long.parseLong(part.substring("rejected_calls=".length()));
					}
				}
			}
		}
		return 0;
	}

	private static long[] calls(String command) {
		long[] calls = new long[RedisClusterTestServer.MASTERS];
		for (int n = 0; n < calls.length; n++) {
			calls[n] = cluster.commandCalls(n, command);
		}
		return calls;
	}

	private static long[] delta(long[] after, long[] before) {
		long[] delta = new long[after.length];
		for (int i = 0; i < delta.length; i++) {
			delta[i] = after[i] - before[i];
		}
		return delta;
	}

}
