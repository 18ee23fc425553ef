package dev.locksmith.provider.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;
import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.ReleaseSubscription;
import dev.locksmith.testsupport.FairQueueChaos;
import dev.locksmith.testsupport.ManyProcessesFairness;
import dev.locksmith.testsupport.RedisTestServer;
import dev.locksmith.testsupport.WriterAmongReaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Redis provider's FIFO queue of waiting writers: a release hands the key to the oldest live waiter in
 * the same script and wakes only that one; a waiter that gives up leaves the queue; a waiter that died
 * blocks the key no longer than the claim time; and, with real threads over many provider instances (each
 * its own "process"), nobody starves.
 */
class RedisFairQueueTests {

	private static RedisTestServer redis;

	private static LettuceConnectionFactory factory;

	private static RedisLockProvider provider;

	@BeforeAll
	static void startRedis() {
		redis = new RedisTestServer();
		factory = redis.connectionFactory();
		provider = RedisLockProvider.builder(factory).build();
		// subscribing wakes every waiter (releases may have been missed): let that happen before any test
		await().atMost(Duration.ofSeconds(10)).until(() -> provider.releaseSubscriptions() > 0);
	}

	@AfterAll
	static void stopRedis() {
		provider.close();
		factory.destroy();
		redis.close();
	}

	@Test
	void releaseHandsTheKeyToTheOldestWaiterAndWakesOnlyIt() throws InterruptedException {
		String key = key();
		LeaseRequest holder = request(key);
		Grant held = provider.acquire(holder);
		LeaseRequest first = request(key);
		LeaseRequest second = request(key);
		try (ReleaseSubscription firstWaits = provider.subscribe(first);
				ReleaseSubscription secondWaits = provider.subscribe(second)) {
			assertThat(provider.acquire(first).isGranted()).isFalse();
			assertThat(provider.acquire(second).isGranted()).isFalse();

			assertThat(provider.release(holder.ref())).isTrue();
			assertThat(holders(key)).containsExactly(first.leaseId());
			assertThat(firstWaits.await(TimeUnit.SECONDS.toNanos(10))).isTrue();
			Grant claimed = provider.acquire(first);
			assertThat(claimed.isGranted()).isTrue();
			assertThat(claimed.fencingToken()).isGreaterThan(held.fencingToken());
			Grant denied = provider.acquire(second);
			assertThat(denied.isGranted()).isFalse();
			assertThat(denied.retryAfter()).isLessThanOrEqualTo(Duration.ofMillis(LeaseScripts.QUEUE_REFRESH_MILLIS));
			// the claim set the full TTL, not the claim time
			LeaseInfo lease = provider.inspect(key).leases().get(0);
			assertThat(Duration.between(lease.lockedAt(), lease.expiresAt())).isGreaterThan(Duration.ofSeconds(5));
			assertThat(secondWaits.await(0)).isFalse();

			assertThat(provider.release(first.ref())).isTrue();
			assertThat(holders(key)).containsExactly(second.leaseId());
			assertThat(secondWaits.await(TimeUnit.SECONDS.toNanos(10))).isTrue();
			Grant next = provider.acquire(second);
			assertThat(next.fencingToken()).isGreaterThan(claimed.fencingToken());
			provider.release(second.ref());
		}
	}

	@Test
	void aHandOffWakesAWaiterWhoseLeaseIdAndKeyAreNotAscii() throws InterruptedException {
		String key = key() + ":schlüssel-€";
		LeaseRequest holder = request(key);
		provider.acquire(holder);
		LeaseRequest waiter = new LeaseRequest(key, LeaseType.WRITE, "wärter-€-" + UUID.randomUUID(), "test-owner",
				Duration.ofSeconds(10), 1, 1, Map.of());
		try (ReleaseSubscription waits = provider.subscribe(waiter)) {
			assertThat(provider.acquire(waiter).isGranted()).isFalse();
			provider.release(holder.ref());
			assertThat(waits.await(TimeUnit.SECONDS.toNanos(10))).isTrue();
			assertThat(provider.acquire(waiter).isGranted()).isTrue();
			provider.release(waiter.ref());
		}
	}

	@Test
	void aTryOnceAttemptIsNotQueuedAndDoesNotJumpTheQueue() {
		String key = key();
		LeaseRequest holder = request(key);
		provider.acquire(holder);
		LeaseRequest waiter = request(key);
		try (ReleaseSubscription waits = provider.subscribe(waiter)) {
			assertThat(provider.acquire(waiter).isGranted()).isFalse();
			LeaseRequest tryOnce = request(key);
			assertThat(provider.acquire(tryOnce).isGranted()).isFalse();
			provider.release(holder.ref());
			assertThat(holders(key)).containsExactly(waiter.leaseId());
			assertThat(provider.acquire(tryOnce).isGranted()).isFalse();
			assertThat(provider.acquire(waiter).isGranted()).isTrue();
			provider.release(waiter.ref());
		}
	}

	@Test
	void aWaiterThatGivesUpLeavesTheQueue() {
		String key = key();
		LeaseRequest holder = request(key);
		provider.acquire(holder);
		LeaseRequest quitter = request(key);
		LeaseRequest stayer = request(key);
		try (ReleaseSubscription stays = provider.subscribe(stayer)) {
			try (ReleaseSubscription quits = provider.subscribe(quitter)) {
				assertThat(provider.acquire(quitter).isGranted()).isFalse();
			}
			assertThat(provider.acquire(stayer).isGranted()).isFalse();
			provider.release(holder.ref());
			assertThat(holders(key)).containsExactly(stayer.leaseId());
			assertThat(provider.acquire(stayer).isGranted()).isTrue();
			provider.release(stayer.ref());
		}
	}

	@Test
	void aWaiterThatGivesUpAfterTheHandOffPassesTheKeyOn() {
		String key = key();
		LeaseRequest holder = request(key);
		provider.acquire(holder);
		LeaseRequest quitter = request(key);
		LeaseRequest stayer = request(key);
		try (ReleaseSubscription stays = provider.subscribe(stayer)) {
			ReleaseSubscription quits = provider.subscribe(quitter);
			assertThat(provider.acquire(quitter).isGranted()).isFalse();
			assertThat(provider.acquire(stayer).isGranted()).isFalse();
			provider.release(holder.ref());
			assertThat(holders(key)).containsExactly(quitter.leaseId());
			quits.close(); // timed out at the moment of the hand-off: never claimed
			assertThat(holders(key)).containsExactly(stayer.leaseId());
			assertThat(provider.acquire(stayer).isGranted()).isTrue();
			provider.release(stayer.ref());
		}
	}

	@Test
	void aDeadWaiterBlocksTheKeyNoLongerThanTheClaimTime() {
		String key = key();
		LeaseRequest holder = request(key);
		provider.acquire(holder);
		LeaseRequest dead = request(key);
		LeaseRequest alive = request(key);
		ReleaseSubscription never = provider.subscribe(dead); // its process dies: never claims, never closes
		try (ReleaseSubscription waits = provider.subscribe(alive)) {
			assertThat(provider.acquire(dead).isGranted()).isFalse();
			assertThat(provider.acquire(alive).isGranted()).isFalse();
			provider.release(holder.ref());
			assertThat(holders(key)).containsExactly(dead.leaseId());
			long handedAt = System.nanoTime();
			await().atMost(Duration.ofMillis(LeaseScripts.CLAIM_MILLIS + 3_000))
				.pollInterval(Duration.ofMillis(50))
				.until(() -> provider.acquire(alive).isGranted());
			assertThat(Duration.ofNanos(System.nanoTime() - handedAt))
				.isGreaterThanOrEqualTo(Duration.ofMillis(LeaseScripts.CLAIM_MILLIS - 50));
			provider.release(alive.ref());
		}
		finally {
			never.close();
		}
	}

	@Test
	void aDeadWaiterBlocksAKeyWhoseHolderExpiredNoLongerThanTheClaimTime() {
		String key = key();
		LeaseRequest holder = new LeaseRequest(key, LeaseType.WRITE, UUID.randomUUID().toString(), "test-owner",
				Duration.ofMillis(200), 1, 1, Map.of());
		provider.acquire(holder); // its process dies too: it never releases, its lease expires
		LeaseRequest dead = request(key);
		LeaseRequest alive = request(key);
		ReleaseSubscription never = provider.subscribe(dead); // never claims, never closes
		try (ReleaseSubscription waits = provider.subscribe(alive)) {
			assertThat(provider.acquire(dead).isGranted()).isFalse();
			long queuedAt = System.nanoTime();
			assertThat(provider.acquire(alive).isGranted()).isFalse();
			await().atMost(Duration.ofSeconds(5)).until(() -> holders(key).isEmpty());
			// the key is free but the dead waiter heads the queue: the next attempt hands the key to it,
			// so the claim time bounds the block instead of the dead entry's remaining life
			assertThat(provider.acquire(alive).isGranted()).isFalse();
			assertThat(holders(key)).containsExactly(dead.leaseId());
			await().atMost(Duration.ofMillis(LeaseScripts.QUEUE_ENTRY_MILLIS + 2_000))
				.pollInterval(Duration.ofMillis(50))
				.until(() -> provider.acquire(alive).isGranted());
			assertThat(Duration.ofNanos(System.nanoTime() - queuedAt))
				.isLessThan(Duration.ofMillis(LeaseScripts.QUEUE_ENTRY_MILLIS));
			provider.release(alive.ref());
		}
		finally {
			never.close();
		}
	}

	@Test
	void twoDeadWaitersEachBlockTheKeyNoLongerThanTheClaimTime() {
		String key = key();
		LeaseRequest holder = request(key);
		provider.acquire(holder);
		LeaseRequest dead1 = request(key);
		LeaseRequest dead2 = request(key);
		LeaseRequest alive = request(key);
		ReleaseSubscription never1 = provider.subscribe(dead1);
		ReleaseSubscription never2 = provider.subscribe(dead2);
		try (ReleaseSubscription waits = provider.subscribe(alive)) {
			assertThat(provider.acquire(dead1).isGranted()).isFalse();
			assertThat(provider.acquire(dead2).isGranted()).isFalse();
			assertThat(provider.acquire(alive).isGranted()).isFalse();
			provider.release(holder.ref());
			assertThat(holders(key)).containsExactly(dead1.leaseId());
			// dead1's claim lapses; the next attempt hands the key to dead2 at once instead of being denied
			// until dead2's queue entry lapses
			await().atMost(Duration.ofMillis(LeaseScripts.CLAIM_MILLIS + 2_000)).until(() -> holders(key).isEmpty());
			assertThat(provider.acquire(alive).isGranted()).isFalse();
			assertThat(holders(key)).containsExactly(dead2.leaseId());
			await().atMost(Duration.ofMillis(LeaseScripts.CLAIM_MILLIS + 2_000))
				.pollInterval(Duration.ofMillis(50))
				.until(() -> provider.acquire(alive).isGranted());
			provider.release(alive.ref());
		}
		finally {
			never1.close();
			never2.close();
		}
	}

	@Test
	void manyProcessesOnOneKeyNobodyStarvesAndTokensIncrease() throws Exception {
		int processes = 6;
		int rounds = 25;
		String key = "fair:" + UUID.randomUUID();
		try (Processes running = new Processes(processes)) {
			// the first attempt of a waiting acquisition is queued: at most processes - 1 ahead, doubled for a
			// claim missed on a slow machine
			ManyProcessesFairness.check(running.engines, key, rounds, 2 * processes);
		}
	}

	@Test
	void writersGivingUpAsTheKeyIsHandedToThemNeverOverlapAnyoneAndTokensIncrease() throws Exception {
		try (Processes running = new Processes(4)) {
			int writes = FairQueueChaos.run(running.engines, "chaos:" + UUID.randomUUID(), 3, 60);
			assertThat(writes).isPositive();
		}
	}

	@Test
	void aClaimAfterTheClaimWindowLapsedDoesNotTakeTheKeyFromTheNextWaiter() {
		String key = key();
		LeaseRequest holder = request(key);
		Grant held = provider.acquire(holder);
		LeaseRequest late = request(key);
		LeaseRequest next = request(key);
		try (ReleaseSubscription lateWaits = provider.subscribe(late);
				ReleaseSubscription nextWaits = provider.subscribe(next)) {
			assertThat(provider.acquire(late).isGranted()).isFalse();
			assertThat(provider.acquire(next).isGranted()).isFalse();
			provider.release(holder.ref());
			assertThat(holders(key)).containsExactly(late.leaseId());
			// the late waiter was paused past its claim window and claims just after it lapsed
			await().atMost(Duration.ofMillis(LeaseScripts.CLAIM_MILLIS + 2_000)).until(() -> holders(key).isEmpty());
			assertThat(provider.acquire(late).isGranted()).isFalse();
			assertThat(holders(key)).containsExactly(next.leaseId());
			Grant claimed = provider.acquire(next);
			assertThat(claimed.isGranted()).isTrue();
			assertThat(claimed.fencingToken()).isGreaterThan(held.fencingToken());
			assertThat(provider.acquire(late).isGranted()).isFalse();
			assertThat(holders(key)).containsExactly(next.leaseId());
			provider.release(next.ref());
			assertThat(holders(key)).containsExactly(late.leaseId());
			assertThat(provider.acquire(late).fencingToken()).isGreaterThan(claimed.fencingToken());
			provider.release(late.ref());
		}
	}

	@Test
	void aReSentAttemptOfAQueuedWaiterKeepsOnePlaceAndItsClaimIsIdempotent() {
		String key = key();
		LeaseRequest holder = request(key);
		provider.acquire(holder);
		LeaseRequest waiter = request(key);
		LeaseRequest behind = request(key);
		try (ReleaseSubscription waits = provider.subscribe(waiter);
				ReleaseSubscription behindWaits = provider.subscribe(behind)) {
			assertThat(provider.acquire(waiter).isGranted()).isFalse();
			assertThat(provider.acquire(behind).isGranted()).isFalse();
			assertThat(provider.acquire(waiter).isGranted()).isFalse(); // its first reply was lost
			try (RedisConnection connection = factory.getConnection()) {
				assertThat(connection.listCommands().lRange(RedisKeys.queueKeyBytes(key), 0, -1))
					.extracting((id) -> new String(id, StandardCharsets.UTF_8))
					.containsExactly(waiter.leaseId(), behind.leaseId());
			}
			provider.release(holder.ref());
			long token = provider.acquire(waiter).fencingToken();
			assertThat(provider.acquire(waiter).fencingToken()).as("claim re-sent, its reply lost").isEqualTo(token);
			assertThat(holders(key)).containsExactly(waiter.leaseId());
			assertThat(provider.acquire(behind).isGranted()).isFalse();
			provider.release(waiter.ref());
			assertThat(provider.acquire(behind).fencingToken()).isGreaterThan(token);
			provider.release(behind.ref());
		}
	}

	@Test
	void freedPermitsWakeAPermitWaiterAndTheLastPermitReleaseHandsTheKeyToAQueuedWriter()
			throws InterruptedException {
		String key = key();
		LeaseRequest permits = permits(key, 2);
		Grant held = provider.acquire(permits);
		LeaseRequest more = permits(key, 2);
		LeaseRequest writer = request(key);
		try (ReleaseSubscription moreWaits = provider.subscribe(more);
				ReleaseSubscription writerWaits = provider.subscribe(writer)) {
			assertThat(provider.acquire(more).isGranted()).isFalse();
			assertThat(provider.acquire(writer).isGranted()).isFalse();
			assertThat(provider.reducePermits(permits.ref(), 1)).isTrue();
			assertThat(moreWaits.await(TimeUnit.SECONDS.toNanos(10))).as("freed permits wake the permit waiter").isTrue();
			assertThat(provider.acquire(more).isGranted()).isTrue();
			assertThat(provider.release(permits.ref())).isTrue();
			assertThat(holders(key)).containsExactly(more.leaseId());
			assertThat(provider.release(more.ref())).isTrue();
			assertThat(holders(key)).containsExactly(writer.leaseId());
			assertThat(writerWaits.await(TimeUnit.SECONDS.toNanos(10))).isTrue();
			assertThat(provider.acquire(writer).fencingToken()).isGreaterThan(held.fencingToken());
			provider.release(writer.ref());
		}
	}

	@Test
	void aWriterAmongAStreamOfOverlappingReadersOfOtherProcessesIsGrantedOnceTheReadersInsideLeave()
			throws Exception {
		int readers = 4;
		List<LettuceConnectionFactory> factories = new ArrayList<>();
		List<RedisLockProvider> providers = new ArrayList<>();
		List<LockEngine> engines = new ArrayList<>();
		for (int i = 0; i <= readers; i++) {
			LettuceConnectionFactory own = redis.connectionFactory();
			RedisLockProvider each = RedisLockProvider.builder(own).build();
			factories.add(own);
			providers.add(each);
			engines.add(Locksmith.builder(each).build());
		}
		try {
			// queued, the writer holds new readers back: the readers inside leave within MAX_HOLD, then the
			// last one's release hands it the key; 10 s leaves room for a loaded machine
			Duration waited = WriterAmongReaders.run(engines.subList(0, readers), engines.get(readers),
					"readers:" + UUID.randomUUID(), Duration.ofSeconds(10));
			System.out.println("writer among " + readers + " readers waited " + waited.toMillis() + " ms");
		}
		finally {
			engines.forEach(LockEngine::close);
			providers.forEach(RedisLockProvider::close);
			factories.forEach(LettuceConnectionFactory::destroy);
		}
	}

	@Test
	void readersArrivingAfterAQueuedWriterAreGrantedAfterIt() throws InterruptedException {
		String key = key();
		LeaseRequest inside = read(key);
		Grant held = provider.acquire(inside);
		assertThat(held.isGranted()).isTrue();
		LeaseRequest writer = request(key);
		LeaseRequest late = read(key);
		try (ReleaseSubscription writerWaits = provider.subscribe(writer);
				ReleaseSubscription lateWaits = provider.subscribe(late)) {
			assertThat(provider.acquire(writer).isGranted()).isFalse();
			Grant denied = provider.acquire(late);
			assertThat(denied.isGranted()).as("a reader arriving after a queued writer").isFalse();
			assertThat(denied.retryAfter()).isPositive()
				.isLessThanOrEqualTo(Duration.ofMillis(LeaseScripts.QUEUE_ENTRY_MILLIS + LeaseScripts.CLAIM_MILLIS));
			assertThat(provider.acquire(inside).fencingToken()).as("a reader inside goes on (re-sent attempt)")
				.isEqualTo(held.fencingToken());

			assertThat(provider.release(inside.ref())).isTrue();
			assertThat(holders(key)).containsExactly(writer.leaseId());
			assertThat(writerWaits.await(TimeUnit.SECONDS.toNanos(10))).isTrue();
			Grant written = provider.acquire(writer);
			assertThat(written.fencingToken()).isGreaterThan(held.fencingToken());
			assertThat(provider.acquire(late).isGranted()).isFalse();

			assertThat(provider.release(writer.ref())).isTrue();
			assertThat(lateWaits.await(TimeUnit.SECONDS.toNanos(10))).as("the writer's release wakes the reader")
				.isTrue();
			Grant read = provider.acquire(late);
			assertThat(read.isGranted()).isTrue();
			assertThat(read.fencingToken()).isGreaterThan(written.fencingToken());
			provider.release(late.ref());
		}
	}

	@Test
	void aReaderHeldBackByAQueuedWriterIsWokenWhenTheWriterGivesUp() throws InterruptedException {
		String key = key();
		LeaseRequest inside = read(key);
		provider.acquire(inside);
		LeaseRequest writer = request(key);
		LeaseRequest late = read(key);
		try (ReleaseSubscription lateWaits = provider.subscribe(late)) {
			try (ReleaseSubscription writerWaits = provider.subscribe(writer)) {
				assertThat(provider.acquire(writer).isGranted()).isFalse();
				assertThat(provider.acquire(late).isGranted()).isFalse();
			} // the writer gives up
			assertThat(lateWaits.await(TimeUnit.SECONDS.toNanos(10))).as("woken by the writer leaving the queue")
				.isTrue();
			assertThat(provider.acquire(late).isGranted()).isTrue();
			provider.release(late.ref());
			provider.release(inside.ref());
		}
	}

	@Test
	void aDeadQueuedWriterHoldsNewReadersBackNoLongerThanItsQueueEntryLives() {
		String key = key();
		LeaseRequest inside = read(key);
		provider.acquire(inside); // stays inside throughout: the key is never handed to the dead writer
		LeaseRequest dead = request(key);
		LeaseRequest late = read(key);
		ReleaseSubscription never = provider.subscribe(dead); // its process dies: no more attempts, never closes
		try (ReleaseSubscription lateWaits = provider.subscribe(late)) {
			assertThat(provider.acquire(dead).isGranted()).isFalse();
			long queuedAt = System.nanoTime();
			Grant denied = provider.acquire(late);
			assertThat(denied.isGranted()).isFalse();
			assertThat(denied.retryAfter())
				.isLessThanOrEqualTo(Duration.ofMillis(LeaseScripts.QUEUE_ENTRY_MILLIS + LeaseScripts.CLAIM_MILLIS));
			// the dead writer's entry lapses QUEUE_ENTRY_MILLIS after its last attempt
			await().atMost(Duration.ofMillis(LeaseScripts.QUEUE_ENTRY_MILLIS + 3_000))
				.pollInterval(Duration.ofMillis(50))
				.until(() -> provider.acquire(late).isGranted());
			assertThat(Duration.ofNanos(System.nanoTime() - queuedAt))
				.isGreaterThanOrEqualTo(Duration.ofMillis(LeaseScripts.QUEUE_ENTRY_MILLIS - 50));
			provider.release(late.ref());
			provider.release(inside.ref());
		}
		finally {
			never.close();
		}
	}

	@Test
	void aReaderWaitingInAnotherProcessBehindADeadQueuedWriterIsGrantedWithinTheBoundWithoutAnyRelease()
			throws Exception {
		String key = key();
		LeaseRequest inside = read(key);
		provider.acquire(inside); // stays inside: no release happens, so no message wakes the reader
		LeaseRequest dead = request(key);
		ReleaseSubscription never = provider.subscribe(dead); // its process dies: no more attempts, never closes
		LettuceConnectionFactory own = redis.connectionFactory();
		RedisLockProvider readerProvider = RedisLockProvider.builder(own).build();
		LockEngine readerProcess = Locksmith.builder(readerProvider).build();
		try {
			assertThat(provider.acquire(dead).isGranted()).isFalse();
			long queuedAt = System.nanoTime();
			Optional<LockHandle> read = readerProcess.readWrite(key).tryRead(LockOptions.waitTime(Duration.ofSeconds(20)));
			Duration waited = Duration.ofNanos(System.nanoTime() - queuedAt);
			assertThat(read).as("read granted once the dead writer's entry lapsed").isPresent();
			read.get().close();
			// held back until the entry lapsed, then woken by its retry hint (entry + claim at most), plus the
			// engine's hint slack and a second for a loaded machine
			assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(LeaseScripts.QUEUE_ENTRY_MILLIS - 50))
				.isLessThan(Duration.ofMillis(LeaseScripts.QUEUE_ENTRY_MILLIS + LeaseScripts.CLAIM_MILLIS + 1_000));
			provider.release(inside.ref());
		}
		finally {
			never.close();
			readerProcess.close();
			readerProvider.close();
			own.destroy();
		}
	}

	@Test
	void aDeadWriterHandedTheKeyByTheLastReaderBlocksReadersNoLongerThanTheClaimTime() {
		String key = key();
		LeaseRequest inside = read(key);
		provider.acquire(inside);
		LeaseRequest dead = request(key);
		LeaseRequest late = read(key);
		ReleaseSubscription never = provider.subscribe(dead); // never claims, never closes
		try (ReleaseSubscription lateWaits = provider.subscribe(late)) {
			assertThat(provider.acquire(dead).isGranted()).isFalse();
			assertThat(provider.acquire(late).isGranted()).isFalse();
			provider.release(inside.ref());
			assertThat(holders(key)).containsExactly(dead.leaseId());
			long handedAt = System.nanoTime();
			await().atMost(Duration.ofMillis(LeaseScripts.CLAIM_MILLIS + 3_000))
				.pollInterval(Duration.ofMillis(50))
				.until(() -> provider.acquire(late).isGranted());
			assertThat(Duration.ofNanos(System.nanoTime() - handedAt))
				.isGreaterThanOrEqualTo(Duration.ofMillis(LeaseScripts.CLAIM_MILLIS - 50));
			provider.release(late.ref());
		}
		finally {
			never.close();
		}
	}

	@Test
	void anUncontendedReadStaysOneScriptCallWithOneQueueLookupInside() {
		String key = key();
		LeaseRequest warmUp = read(key); // loads the scripts, so no NOSCRIPT round trip is counted
		provider.acquire(warmUp);
		provider.release(warmUp.ref());
		long evalsha = calls("evalsha");
		long lindex = calls("lindex");
		LeaseRequest read = read(key);
		assertThat(provider.acquire(read).isGranted()).isTrue();
		assertThat(calls("evalsha") - evalsha).as("round trips of an uncontended read").isEqualTo(1);
		assertThat(calls("lindex") - lindex).as("queue look-ups inside its script").isEqualTo(1);
		provider.release(read.ref());
	}

	@Test
	void aThreadThatReadsAKeyReadsItAgainWhileAWriterOfAnotherProcessIsQueued() throws Exception {
		String key = key();
		List<LettuceConnectionFactory> factories = new ArrayList<>();
		List<RedisLockProvider> providers = new ArrayList<>();
		List<LockEngine> engines = new ArrayList<>();
		for (int i = 0; i < 2; i++) {
			LettuceConnectionFactory own = redis.connectionFactory();
			RedisLockProvider each = RedisLockProvider.builder(own).build();
			factories.add(own);
			providers.add(each);
			engines.add(Locksmith.builder(each).build());
		}
		java.util.concurrent.ExecutorService writerThread = java.util.concurrent.Executors.newSingleThreadExecutor();
		try {
			LockHandle outer = engines.get(0).readWrite(key).tryRead(LockOptions.waitTime(Duration.ZERO)).orElseThrow();
			java.util.concurrent.Future<Optional<LockHandle>> writer = writerThread
				.submit(() -> engines.get(1).readWrite(key).tryWrite(LockOptions.waitTime(Duration.ofSeconds(20))));
			await().atMost(Duration.ofSeconds(10)).until(() -> queueLength(key) == 1);
			// like ReentrantReadWriteLock (fair or not), a thread already reading gets its nested read at once;
			// holding it back would make the thread wait for the writer, which waits for the thread's outer read
			long askedAt = System.nanoTime();
			Optional<LockHandle> inner = engines.get(0).readWrite(key).tryRead(LockOptions.waitTime(Duration.ofSeconds(3)));
			Duration waited = Duration.ofNanos(System.nanoTime() - askedAt);
			assertThat(inner).as("nested read while a writer is queued (waited %d ms)", waited.toMillis()).isPresent();
			assertThat(inner.get().fencingToken()).isGreaterThan(outer.fencingToken());
			assertThat(writer.isDone()).as("the writer waits for both reads").isFalse();
			inner.get().close();
			outer.close();
			LockHandle written = writer.get(20, TimeUnit.SECONDS).orElseThrow();
			assertThat(written.fencingToken()).isGreaterThan(inner.get().fencingToken());
			written.close();
		}
		finally {
			writerThread.shutdownNow();
			engines.forEach(LockEngine::close);
			providers.forEach(RedisLockProvider::close);
			factories.forEach(LettuceConnectionFactory::destroy);
		}
	}

	@Test
	void onlyAReadNestedInALiveReadPassesAQueuedWriter() {
		String key = key();
		String outerId = UUID.randomUUID() + ":1";
		LeaseRequest outer = new LeaseRequest(key, LeaseType.READ, outerId, "test-owner", Duration.ofSeconds(10), 1, 1,
				Map.of());
		Grant in = provider.acquire(outer);
		LeaseRequest writer = request(key);
		try (ReleaseSubscription writerWaits = provider.subscribe(writer)) {
			assertThat(provider.acquire(writer).isGranted()).isFalse();
			assertThat(provider.acquire(readWithId(key, UUID.randomUUID() + ":1:2")).isGranted())
				.as("nested in a read that is not there").isFalse();
			assertThat(provider.acquire(readWithId(key, outerId + "2")).isGranted()).as("not nested").isFalse();
			Grant nested = provider.acquire(readWithId(key, outerId + ":2"));
			assertThat(nested.isGranted()).as("nested in the live read").isTrue();
			assertThat(nested.fencingToken()).isGreaterThan(in.fencingToken());
			provider.release(new dev.locksmith.spi.LeaseRef(key, LeaseType.READ, outerId + ":2"));
			provider.release(outer.ref());
			assertThat(holders(key)).containsExactly(writer.leaseId());
			assertThat(provider.acquire(readWithId(key, outerId + ":3")).isGranted())
				.as("nested in a read released meanwhile").isFalse();
			assertThat(provider.acquire(writer).fencingToken()).isGreaterThan(nested.fencingToken());
			provider.release(writer.ref());
		}
	}

	@Test
	void anotherThreadOfTheProcessThatReadsIsStillHeldBackByAQueuedWriter() throws Exception {
		String key = key();
		List<LettuceConnectionFactory> factories = new ArrayList<>();
		List<RedisLockProvider> providers = new ArrayList<>();
		List<LockEngine> engines = new ArrayList<>();
		for (int i = 0; i < 2; i++) {
			LettuceConnectionFactory own = redis.connectionFactory();
			RedisLockProvider each = RedisLockProvider.builder(own).build();
			factories.add(own);
			providers.add(each);
			engines.add(Locksmith.builder(each).build());
		}
		java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(2);
		try {
			LockHandle outer = engines.get(0).readWrite(key).tryRead(LockOptions.waitTime(Duration.ZERO)).orElseThrow();
			java.util.concurrent.Future<Optional<LockHandle>> writer = threads
				.submit(() -> engines.get(1).readWrite(key).tryWrite(LockOptions.waitTime(Duration.ofSeconds(20))));
			await().atMost(Duration.ofSeconds(10)).until(() -> queueLength(key) == 1);
			Optional<LockHandle> other = threads
				.submit(() -> engines.get(0).readWrite(key).tryRead(LockOptions.waitTime(Duration.ofMillis(500))))
				.get(10, TimeUnit.SECONDS);
			assertThat(other).as("a new reader on another thread of the reading process").isEmpty();
			outer.close();
			LockHandle written = writer.get(20, TimeUnit.SECONDS).orElseThrow();
			assertThat(written.fencingToken()).isGreaterThan(outer.fencingToken());
			written.close();
		}
		finally {
			threads.shutdownNow();
			engines.forEach(LockEngine::close);
			providers.forEach(RedisLockProvider::close);
			factories.forEach(LettuceConnectionFactory::destroy);
		}
	}

	@Test
	void aReadLeaseInsideIsExtendedAndRenewedWhileAWriterIsQueued() {
		String key = key();
		LeaseRequest inside = read(key);
		provider.acquire(inside);
		LeaseRequest writer = request(key);
		try (ReleaseSubscription writerWaits = provider.subscribe(writer)) {
			assertThat(provider.acquire(writer).isGranted()).isFalse();
			assertThat(provider.extend(inside.ref(), Duration.ofSeconds(20))).isTrue();
			assertThat(provider.renew(List.of(new dev.locksmith.spi.Renewal(inside.ref(), Duration.ofSeconds(20)))))
				.containsExactly(inside.ref());
			assertThat(provider.acquire(writer).isGranted()).isFalse();
			provider.release(inside.ref());
			assertThat(provider.acquire(writer).isGranted()).isTrue();
			provider.release(writer.ref());
		}
	}

	@Test
	void aReaderOfAnotherProcessIsGrantedAmongOneWriterThatReacquiresAtOnceAfterEachRelease() throws Exception {
		String key = key();
		List<LettuceConnectionFactory> factories = new ArrayList<>();
		List<RedisLockProvider> providers = new ArrayList<>();
		List<LockEngine> engines = new ArrayList<>();
		for (int i = 0; i < 2; i++) {
			LettuceConnectionFactory own = redis.connectionFactory();
			RedisLockProvider each = RedisLockProvider.builder(own).build();
			factories.add(own);
			providers.add(each);
			engines.add(Locksmith.builder(each).build());
		}
		java.util.concurrent.ExecutorService writerThread = java.util.concurrent.Executors.newSingleThreadExecutor();
		java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
		java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();
		try {
			java.util.concurrent.Future<?> writer = writerThread.submit(() -> {
				while (!stop.get()) {
					try (LockHandle held = engines.get(1).readWrite(key).write(LockOptions.waitTime(Duration.ofSeconds(10)))) {
						writes.incrementAndGet();
						java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
					}
				}
			});
			await().atMost(Duration.ofSeconds(10)).until(() -> writes.get() > 2);
			int before = writes.get();
			long askedAt = System.nanoTime();
			Optional<LockHandle> read = engines.get(0).readWrite(key).tryRead(LockOptions.waitTime(Duration.ofSeconds(5)));
			System.out.println("reader among one writer waited " + (System.nanoTime() - askedAt) / 1_000_000 + " ms, "
					+ (writes.get() - before) + " writes meanwhile");
			stop.set(true);
			assertThat(read).as("a reader among %d writes of one writer", writes.get()).isPresent();
			read.get().close();
			writer.get(20, TimeUnit.SECONDS);
		}
		finally {
			stop.set(true);
			writerThread.shutdownNow();
			engines.forEach(LockEngine::close);
			providers.forEach(RedisLockProvider::close);
			factories.forEach(LettuceConnectionFactory::destroy);
		}
	}

	private static LeaseRequest readWithId(String key, String leaseId) {
		return new LeaseRequest(key, LeaseType.READ, leaseId, "test-owner", Duration.ofSeconds(10), 1, 1, Map.of());
	}

	@Test
	void aReaderDeniedByAWriterIsNotLeftAsleepWhenTheKeyIsHandedToADeadQueuedWriter() throws InterruptedException {
		String key = key();
		LeaseRequest holder = new LeaseRequest(key, LeaseType.WRITE, UUID.randomUUID().toString(), "test-owner",
				Duration.ofSeconds(30), 1, 1, Map.of());
		provider.acquire(holder);
		LeaseRequest late = read(key);
		LeaseRequest dead = request(key);
		ReleaseSubscription never = provider.subscribe(dead); // queues, then its process dies
		try (ReleaseSubscription lateWaits = provider.subscribe(late)) {
			Grant denied = provider.acquire(late); // before any writer queued: told to wait for the holder's TTL
			assertThat(denied.isGranted()).isFalse();
			assertThat(provider.acquire(dead).isGranted()).isFalse();
			assertThat(provider.release(holder.ref())).isTrue();
			assertThat(holders(key)).containsExactly(dead.leaseId());
			long releasedAt = System.nanoTime();
			// the key is free for the reader once the dead writer's claim lapses (CLAIM_MILLIS after the release):
			// the reader must be woken by then, or its hint must not be later
			boolean woken = lateWaits.await(TimeUnit.MILLISECONDS.toNanos(LeaseScripts.CLAIM_MILLIS + 2_000));
			Duration retryAt = woken ? Duration.ofNanos(System.nanoTime() - releasedAt) : denied.retryAfter();
			assertThat(retryAt).as("reader's next attempt after the release (woken: %s)", woken)
				.isLessThanOrEqualTo(Duration.ofMillis(LeaseScripts.CLAIM_MILLIS + 2_000));
			await().atMost(Duration.ofSeconds(5)).until(() -> provider.acquire(late).isGranted());
			provider.release(late.ref());
		}
		finally {
			never.close();
		}
	}

	@Test
	void aReaderDeniedByAWriterIsNotLeftAsleepWhenAForceReleaseHandsTheKeyToADeadQueuedWriter()
			throws InterruptedException {
		String key = key();
		LeaseRequest holder = new LeaseRequest(key, LeaseType.WRITE, UUID.randomUUID().toString(), "test-owner",
				Duration.ofSeconds(30), 1, 1, Map.of());
		provider.acquire(holder);
		LeaseRequest late = read(key);
		LeaseRequest dead = request(key);
		ReleaseSubscription never = provider.subscribe(dead); // queues, then its process dies
		try (ReleaseSubscription lateWaits = provider.subscribe(late)) {
			Grant denied = provider.acquire(late);
			assertThat(denied.isGranted()).isFalse();
			assertThat(provider.acquire(dead).isGranted()).isFalse();
			assertThat(provider.forceRelease(key)).isTrue();
			assertThat(holders(key)).containsExactly(dead.leaseId());
			long releasedAt = System.nanoTime();
			boolean woken = lateWaits.await(TimeUnit.MILLISECONDS.toNanos(LeaseScripts.CLAIM_MILLIS + 2_000));
			Duration retryAt = woken ? Duration.ofNanos(System.nanoTime() - releasedAt) : denied.retryAfter();
			assertThat(retryAt).as("reader's next attempt after the force release (woken: %s)", woken)
				.isLessThanOrEqualTo(Duration.ofMillis(LeaseScripts.CLAIM_MILLIS + 2_000));
			await().atMost(Duration.ofSeconds(5)).until(() -> provider.acquire(late).isGranted());
			provider.release(late.ref());
		}
		finally {
			never.close();
		}
	}

	@Test
	void twoQueuedWritersHoldReadersBackUntilTheSecondReleasesAfterTheFirstGaveUp() throws InterruptedException {
		String key = key();
		LeaseRequest inside = read(key);
		Grant in = provider.acquire(inside);
		LeaseRequest first = request(key);
		LeaseRequest second = request(key);
		LeaseRequest late = read(key);
		try (ReleaseSubscription lateWaits = provider.subscribe(late);
				ReleaseSubscription secondWaits = provider.subscribe(second)) {
			try (ReleaseSubscription firstWaits = provider.subscribe(first)) {
				assertThat(provider.acquire(first).isGranted()).isFalse();
				assertThat(provider.acquire(second).isGranted()).isFalse();
				assertThat(provider.acquire(late).isGranted()).isFalse();
			} // the first gives up: the second still waits, so the reader stays held back and is not woken
			assertThat(lateWaits.await(TimeUnit.MILLISECONDS.toNanos(300))).isFalse();
			assertThat(provider.acquire(late).isGranted()).isFalse();
			assertThat(provider.release(inside.ref())).isTrue();
			assertThat(holders(key)).containsExactly(second.leaseId());
			assertThat(secondWaits.await(TimeUnit.SECONDS.toNanos(10))).isTrue();
			Grant written = provider.acquire(second);
			assertThat(written.fencingToken()).isGreaterThan(in.fencingToken());
			assertThat(provider.acquire(late).isGranted()).isFalse();
			assertThat(provider.release(second.ref())).isTrue();
			assertThat(lateWaits.await(TimeUnit.SECONDS.toNanos(10))).isTrue();
			Grant read = provider.acquire(late);
			assertThat(read.fencingToken()).isGreaterThan(written.fencingToken());
			provider.release(late.ref());
		}
	}

	@Test
	void readersThatExpireInsteadOfReleasingLetTheQueuedWriterInAndItsReleaseWakesHeldBackReaders()
			throws InterruptedException {
		String key = key();
		LeaseRequest inside = new LeaseRequest(key, LeaseType.READ, UUID.randomUUID().toString(), "test-owner",
				Duration.ofMillis(600), 1, 1, Map.of()); // its process dies: never released, never renewed
		Grant in = provider.acquire(inside);
		LeaseRequest writer = request(key);
		LeaseRequest late = read(key);
		try (ReleaseSubscription lateWaits = provider.subscribe(late);
				ReleaseSubscription writerWaits = provider.subscribe(writer)) {
			assertThat(provider.acquire(writer).isGranted()).isFalse();
			assertThat(provider.acquire(late).isGranted()).isFalse();
			Grant written = await().atMost(Duration.ofSeconds(5))
				.until(() -> provider.acquire(writer), Grant::isGranted);
			assertThat(written.fencingToken()).isGreaterThan(in.fencingToken());
			assertThat(provider.acquire(late).isGranted()).isFalse();
			// a reader re-sending a lost read while the writer holds: still refused
			assertThat(provider.acquire(inside).isGranted()).isFalse();
			assertThat(provider.release(writer.ref())).isTrue();
			assertThat(lateWaits.await(TimeUnit.SECONDS.toNanos(10))).isTrue();
			assertThat(provider.acquire(late).fencingToken()).isGreaterThan(written.fencingToken());
			provider.release(late.ref());
			provider.release(inside.ref());
		}
	}

	private static long queueLength(String key) {
		try (RedisConnection connection = factory.getConnection()) {
			Long length = connection.listCommands().lLen(RedisKeys.queueKeyBytes(key));
			return (length != null) ? length : 0;
		}
	}

	/** Calls of a command, scripts' inner calls included ({@code INFO commandstats}). */
	private static long calls(String command) {
		try (RedisConnection connection = factory.getConnection()) {
			String line = connection.serverCommands().info("commandstats").getProperty("cmdstat_" + command, "calls=0,");
			return Long.parseLong(line.substring(line.indexOf("calls=") + 6, line.indexOf(',')));
		}
	}

	private static LeaseRequest read(String key) {
		return new LeaseRequest(key, LeaseType.READ, UUID.randomUUID().toString(), "test-owner", Duration.ofSeconds(10),
				1, 1, Map.of());
	}

	private static LeaseRequest permits(String key, int count) {
		return new LeaseRequest(key, LeaseType.PERMITS, UUID.randomUUID().toString(), "test-owner",
				Duration.ofSeconds(10), count, 3, Map.of());
	}

	private static List<String> holders(String key) {
		return provider.inspect(key).leases().stream().map(LeaseInfo::leaseId).toList();
	}

	private static LeaseRequest request(String key) {
		return new LeaseRequest(key, LeaseType.WRITE, UUID.randomUUID().toString(), "test-owner", Duration.ofSeconds(10),
				1, 1, Map.of());
	}

	private static String key() {
		return "fair:" + UUID.randomUUID();
	}

	/** Engines that each have their own connection factory and provider (each its own "process"). */
	private static final class Processes implements AutoCloseable {

		final List<LockEngine> engines = new ArrayList<>();

		private final List<RedisLockProvider> providers = new ArrayList<>();

		private final List<LettuceConnectionFactory> factories = new ArrayList<>();

		Processes(int count) {
			for (int i = 0; i < count; i++) {
				LettuceConnectionFactory own = redis.connectionFactory();
				RedisLockProvider each = RedisLockProvider.builder(own).build();
				this.factories.add(own);
				this.providers.add(each);
				this.engines.add(Locksmith.builder(each).build());
			}
		}

		@Override
		public void close() {
			this.engines.forEach(LockEngine::close);
			this.providers.forEach(RedisLockProvider::close);
			this.factories.forEach(LettuceConnectionFactory::destroy);
		}

	}

}
