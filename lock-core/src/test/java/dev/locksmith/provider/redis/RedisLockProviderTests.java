package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;
import dev.locksmith.LockInfo;
import dev.locksmith.LockPage;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.ReleaseSubscription;
import dev.locksmith.spi.Renewal;
import dev.locksmith.testsupport.RedisTestServer;
import io.lettuce.core.api.async.RedisAsyncCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * Redis-specific behaviour of {@link RedisLockProvider} against a real server: round trips, data layout,
 * wake-ups, inspection and listing. The shared rules are checked by the contract kit.
 */
class RedisLockProviderTests {

	private static RedisTestServer redis;

	private static LettuceConnectionFactory factory;

	private static RedisLockProvider provider;

	@BeforeAll
	static void startRedis() {
		redis = new RedisTestServer();
		factory = redis.connectionFactory();
		provider = RedisLockProvider.builder(factory).build();
	}

	@AfterAll
	static void stopRedis() {
		provider.close();
		factory.destroy();
		redis.close();
	}

	@Test
	void grantsDeniesWithHintAndHandsOverWithHigherToken() {
		String key = key();
		LeaseRequest first = request(key, LeaseType.WRITE, Duration.ofSeconds(10));
		Grant granted = provider.acquire(first);
		assertThat(granted.isGranted()).isTrue();

		Grant denied = provider.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(10)));
		assertThat(denied.isGranted()).isFalse();
		assertThat(denied.retryAfter()).isNotNull().isBetween(Duration.ofSeconds(8), Duration.ofSeconds(10));

		assertThat(provider.release(first.ref())).isTrue();
		assertThat(provider.release(first.ref())).isFalse();
		Grant next = provider.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(10)));
		assertThat(next.isGranted()).isTrue();
		assertThat(next.fencingToken()).isGreaterThan(granted.fencingToken());
	}

	@Test
	void readersShareWritersExcludeAndPermitsCountToTheLimit() {
		String key = key();
		LeaseRequest reader1 = request(key, LeaseType.READ, Duration.ofSeconds(5));
		LeaseRequest reader2 = request(key, LeaseType.READ, Duration.ofSeconds(5));
		assertThat(provider.acquire(reader1).isGranted()).isTrue();
		assertThat(provider.acquire(reader2).isGranted()).isTrue();
		assertThat(provider.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(5))).isGranted()).isFalse();
		assertThat(provider.acquire(permits(key, 1, 3)).isGranted()).isFalse();
		provider.release(reader1.ref());
		provider.release(reader2.ref());

		String semaphore = key();
		LeaseRequest two = permits(semaphore, 2, 3);
		assertThat(provider.acquire(two).isGranted()).isTrue();
		assertThat(provider.acquire(permits(semaphore, 2, 3)).isGranted()).isFalse();
		assertThat(provider.acquire(permits(semaphore, 1, 3)).isGranted()).isTrue();
		assertThat(provider.acquire(request(semaphore, LeaseType.READ, Duration.ofSeconds(5))).isGranted()).isFalse();
		assertThat(provider.inspect(semaphore).leases()).extracting(LeaseInfo::permits).containsExactly(2, 1);
	}

	@Test
	void permitDenialHintsWhenEnoughPermitsExpire() {
		String key = key();
		assertThat(provider.acquire(permits(key, 1, 2, Duration.ofSeconds(3))).isGranted()).isTrue();
		assertThat(provider.acquire(permits(key, 1, 2, Duration.ofSeconds(9))).isGranted()).isTrue();
		Grant denied = provider.acquire(permits(key, 1, 2, Duration.ofSeconds(9)));
		assertThat(denied.isGranted()).isFalse();
		assertThat(denied.retryAfter()).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(3));
	}

	@Test
	void expiredReaderIsPurgedAndNeitherBlocksNorIsReleasable() {
		String key = key();
		LeaseRequest shortReader = request(key, LeaseType.READ, Duration.ofMillis(200));
		LeaseRequest longReader = request(key, LeaseType.READ, Duration.ofSeconds(5));
		assertThat(provider.acquire(shortReader).isGranted()).isTrue();
		assertThat(provider.acquire(longReader).isGranted()).isTrue();
		await().atMost(Duration.ofSeconds(3))
			.until(() -> provider.inspect(key).leases().size() == 1);
		assertThat(provider.release(shortReader.ref())).isFalse();
		assertThat(provider.extend(shortReader.ref(), Duration.ofSeconds(5))).isFalse();
		assertThat(provider.release(longReader.ref())).isTrue();
		assertThat(provider.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(5))).isGranted()).isTrue();
	}

	@Test
	void extendSetsExpiryFromServerNowAndMayShorten() {
		String key = key();
		LeaseRequest lease = request(key, LeaseType.WRITE, Duration.ofSeconds(30));
		provider.acquire(lease);
		assertThat(provider.extend(lease.ref(), Duration.ofMillis(300))).isTrue();
		assertThat(pttl(key)).isBetween(1L, 300L);
		await().atMost(Duration.ofSeconds(3)).until(() -> !provider.inspect(key).isLocked());
		assertThat(provider.extend(lease.ref(), Duration.ofSeconds(5))).isFalse();
	}

	@Test
	void acquireAndReleaseAreOneScriptCallAndRenewalIsOneForManyLeases() {
		List<Renewal> renewals = new ArrayList<>();
		provider.acquire(request(key(), LeaseType.WRITE, Duration.ofSeconds(5)));
		long before = evalshaCalls();
		for (int i = 0; i < 40; i++) {
			LeaseRequest request = request(key(), (i % 2 == 0) ? LeaseType.WRITE : LeaseType.READ, Duration.ofSeconds(5));
			assertThat(provider.acquire(request).isGranted()).isTrue();
			renewals.add(new Renewal(request.ref(), Duration.ofSeconds(20)));
		}
		assertThat(evalshaCalls() - before).isEqualTo(40);
		LeaseRef unknown = new LeaseRef(key(), LeaseType.WRITE, "no-such-lease");
		renewals.add(new Renewal(unknown, Duration.ofSeconds(20)));

		long beforeRenew = evalshaCalls();
		Set<LeaseRef> extended = provider.renew(renewals);
		assertThat(evalshaCalls() - beforeRenew).isEqualTo(1);
		assertThat(extended).hasSize(40).doesNotContain(unknown);
		assertThat(pttl(renewals.get(0).lease().key())).isGreaterThan(10_000);

		long beforeRelease = evalshaCalls();
		renewals.subList(0, 40).forEach((renewal) -> assertThat(provider.release(renewal.lease())).isTrue());
		assertThat(evalshaCalls() - beforeRelease).isEqualTo(40);
	}

	@Test
	void renewalOfMoreLeasesThanOneChunkTakesOnePipelinedCallPerChunk() {
		List<Renewal> renewals = new ArrayList<>();
		for (int i = 0; i < 2 * RedisLeaseNode.RENEW_CHUNK + 5; i++) {
			LeaseRequest request = request(key(), LeaseType.WRITE, Duration.ofSeconds(5));
			provider.acquire(request);
			renewals.add(new Renewal(request.ref(), Duration.ofSeconds(20)));
		}
		LeaseRef gone = renewals.get(RedisLeaseNode.RENEW_CHUNK + 1).lease();
		provider.release(gone);
		provider.renew(renewals.subList(0, 1)); // the provider's connection is open
		long before = evalshaCalls();
		long connectionsBefore = serverStat("stats", "total_connections_received");
		assertThat(provider.renew(renewals)).hasSize(renewals.size() - 1).doesNotContain(gone);
		assertThat(serverStat("stats", "total_connections_received") - connectionsBefore)
			.as("pipelined on the existing connection, no new one").isZero();
		assertThat(evalshaCalls() - before).isEqualTo(3);
		assertThat(pttl(renewals.get(0).lease().key())).isGreaterThan(10_000);
		assertThat(pttl(renewals.get(renewals.size() - 1).lease().key())).isGreaterThan(10_000);
		renewals.forEach((renewal) -> provider.forceRelease(renewal.lease().key()));
	}

	@Test
	void pipelinedRenewalReloadsTheScriptAfterTheServerForgetsIt() {
		List<Renewal> renewals = new ArrayList<>();
		for (int i = 0; i < RedisLeaseNode.RENEW_CHUNK + 5; i++) {
			LeaseRequest request = request(key(), LeaseType.WRITE, Duration.ofSeconds(5));
			provider.acquire(request);
			renewals.add(new Renewal(request.ref(), Duration.ofSeconds(20)));
		}
		try (RedisConnection connection = factory.getConnection()) {
			connection.scriptingCommands().scriptFlush();
		}
		assertThat(provider.renew(renewals)).hasSize(renewals.size());
		assertThat(pttl(renewals.get(renewals.size() - 1).lease().key())).isGreaterThan(10_000);
		renewals.forEach((renewal) -> provider.forceRelease(renewal.lease().key()));
	}

	@Test
	void releaseWakesWaiterOfAnotherClientThroughOneSubscription() throws Exception {
		String key = key();
		LeaseRequest held = request(key, LeaseType.WRITE, Duration.ofSeconds(30));
		assertThat(provider.acquire(held).isGranted()).isTrue();
		LettuceConnectionFactory otherFactory = redis.connectionFactory();
		try (RedisLockProvider other = RedisLockProvider.builder(otherFactory).build()) {
			await().atMost(Duration.ofSeconds(5)).until(() -> other.releaseSubscriptions() >= 1);
			List<ReleaseSubscription> waiters = new ArrayList<>();
			for (int i = 0; i < 20; i++) {
				waiters.add(other.subscribe(key));
			}
			assertThat(subscribers(RedisLockProvider.DEFAULT_CHANNEL)).isEqualTo(2);
			// a waiter is denied after subscribing: the denial flags the key so that its release is published
			assertThat(other.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(5))).isGranted()).isFalse();
			ReleaseSubscription unrelated = other.subscribe(key());
			assertThat(waiters.get(0).await(TimeUnit.MILLISECONDS.toNanos(50))).isFalse();

			assertThat(provider.release(held.ref())).isTrue();
			for (ReleaseSubscription waiter : waiters) {
				assertThat(waiter.await(TimeUnit.SECONDS.toNanos(5))).isTrue();
				waiter.close();
			}
			assertThat(unrelated.await(TimeUnit.MILLISECONDS.toNanos(100))).isFalse();
			unrelated.close();
			assertThat(other.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(5))).isGranted()).isTrue();
		}
		finally {
			otherFactory.destroy();
		}
	}

	@Test
	void releasePublishesOnlyWhileADeniedAttemptHasFlaggedTheKey() {
		String key = key();
		LeaseRequest unwatched = request(key, LeaseType.WRITE, Duration.ofSeconds(30));
		assertThat(provider.acquire(unwatched).isGranted()).isTrue();
		long published = commandCalls("publish");
		assertThat(provider.release(unwatched.ref())).isTrue();
		assertThat(commandCalls("publish")).isEqualTo(published);

		LeaseRequest watched = request(key, LeaseType.WRITE, Duration.ofSeconds(30));
		assertThat(provider.acquire(watched).isGranted()).isTrue();
		Grant denied = provider.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(5)));
		assertThat(denied.isGranted()).isFalse();
		long hint = denied.retryAfter().toMillis();
		assertThat(waitFlagPttl(key)).isGreaterThan(hint).isLessThanOrEqualTo(hint + LeaseScripts.WAIT_FLAG_SLACK_MILLIS);
		assertThat(provider.release(watched.ref())).isTrue();
		assertThat(commandCalls("publish")).isEqualTo(published + 1);

		// a denial with a shorter hint never shortens the flag another waiter relies on
		LeaseRequest brief = request(key, LeaseType.WRITE, Duration.ofMillis(500));
		assertThat(provider.acquire(brief).isGranted()).isTrue();
		long before = waitFlagPttl(key);
		assertThat(provider.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(5))).isGranted()).isFalse();
		assertThat(waitFlagPttl(key)).isGreaterThan(before - 1_000).isGreaterThan(20_000);
		assertThat(provider.release(brief.ref())).isTrue();
	}

	@Test
	void inspectShowsOwnerMetadataTokenAndServerTimes() {
		String key = key();
		LeaseRequest request = new LeaseRequest(key, LeaseType.WRITE, UUID.randomUUID().toString(), "host|1 & co",
				Duration.ofSeconds(10), 1, 1, Map.of("job", "nightly=report&more", "ü", "|"));
		Grant grant = provider.acquire(request);
		LockInfo info = provider.inspect(key);
		assertThat(info.isLocked()).isTrue();
		assertThat(info.key()).isEqualTo(key);
		assertThat(info.holder()).isEqualTo("host|1 & co");
		assertThat(info.fencingToken()).isEqualTo(grant.fencingToken());
		assertThat(info.metadata()).containsExactlyInAnyOrderEntriesOf(Map.of("job", "nightly=report&more", "ü", "|"));
		assertThat(Duration.between(info.lockedAt(), info.expiresAt())).isEqualTo(Duration.ofSeconds(10));
		assertThat(info.leases().get(0).leaseId()).isEqualTo(request.leaseId());
		assertThat(provider.inspect(key()).isLocked()).isFalse();
	}

	@Test
	void listPagesHeldKeysByPrefixInKeyOrder() {
		String prefix = "list*[" + UUID.randomUUID() + "]:";
		for (int i = 0; i < 7; i++) {
			provider.acquire(request(prefix + i, LeaseType.WRITE, Duration.ofSeconds(10)));
		}
		provider.acquire(request("other:" + UUID.randomUUID(), LeaseType.WRITE, Duration.ofSeconds(10)));
		LockPage first = provider.list(prefix, 0, 3);
		assertThat(first.total()).isEqualTo(7);
		assertThat(first.locks()).extracting(LockInfo::key).containsExactly(prefix + 0, prefix + 1, prefix + 2);
		LockPage last = provider.list(prefix, 6, 3);
		assertThat(last.locks()).extracting(LockInfo::key).containsExactly(prefix + 6);
	}

	@Test
	void aReusedLeaseIdWithAnotherTypeOrCountIsNotTakenForAReSend() {
		String key = key();
		LeaseRequest reader = request(key, LeaseType.READ, Duration.ofSeconds(10));
		long token = provider.acquire(reader).fencingToken();
		LeaseRequest writerWithSameId = new LeaseRequest(key, LeaseType.WRITE, reader.leaseId(), "test-owner",
				Duration.ofSeconds(10), 1, 1, Map.of());
		assertThat(provider.acquire(writerWithSameId).isGranted()).as("the read lease blocks a write").isFalse();
		assertThat(provider.inspect(key).leases()).singleElement().satisfies((lease) -> {
			assertThat(lease.type()).isEqualTo(LeaseType.READ);
			assertThat(lease.fencingToken()).isEqualTo(token);
		});
		assertThat(provider.release(reader.ref())).isTrue();
	}

	@Test
	void walkingAListingInChunksScansTheKeyspaceOnce() {
		String prefix = "walk:" + UUID.randomUUID() + ":";
		List<LeaseRequest> held = new ArrayList<>();
		for (int i = 0; i < 1200; i++) {
			LeaseRequest request = request(prefix + String.format("%04d", i), LeaseType.WRITE, Duration.ofSeconds(30));
			provider.acquire(request);
			held.add(request);
		}
		long before = commandCalls("scan");
		provider.list(prefix, 0, 500);
		long oneScan = commandCalls("scan") - before;
		assertThat(oneScan).isPositive();

		long walkStart = commandCalls("scan");
		List<String> seen = new ArrayList<>();
		int offset = 0;
		while (true) {
			LockPage chunk = provider.list(prefix, offset, 500);
			chunk.locks().forEach((info) -> seen.add(info.key()));
			offset += chunk.locks().size();
			if (chunk.locks().isEmpty() || offset >= chunk.total()) {
				break;
			}
		}
		assertThat(seen).hasSize(1200).doesNotHaveDuplicates().isSorted();
		assertThat(commandCalls("scan") - walkStart).as("one scan for the whole walk of three chunks")
			.isEqualTo(oneScan);
		held.forEach((request) -> provider.release(request.ref()));
	}

	@Test
	void forceReleaseRemovesEveryLeaseButKeepsTheFencingCounter() throws Exception {
		String key = key();
		long token = provider.acquire(request(key, LeaseType.READ, Duration.ofSeconds(10))).fencingToken();
		provider.acquire(request(key, LeaseType.READ, Duration.ofSeconds(10)));
		try (ReleaseSubscription waiter = provider.subscribe(key)) {
			assertThat(provider.forceRelease(key)).isTrue();
			assertThat(waiter.await(TimeUnit.SECONDS.toNanos(5))).isTrue();
		}
		assertThat(provider.inspect(key).isLocked()).isFalse();
		assertThat(provider.forceRelease(key)).isFalse();
		try (RedisConnection connection = factory.getConnection()) {
			assertThat(connection.keyCommands().pTtl(RedisKeys.fenceKeyBytes(key)))
				.as("the counter outlives the key's last grant by a day")
				.isBetween(LeaseScripts.FENCE_IDLE_MILLIS, LeaseScripts.FENCE_IDLE_MILLIS + 10_000);
		}
		assertThat(provider.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(10))).fencingToken())
			.isGreaterThan(token);
	}

	@Test
	void scriptsAreReloadedAfterTheServerForgetsThem() {
		try (RedisConnection connection = factory.getConnection()) {
			connection.scriptingCommands().scriptFlush();
		}
		LeaseRequest request = request(key(), LeaseType.WRITE, Duration.ofSeconds(5));
		assertThat(provider.acquire(request).isGranted()).isTrue();
		assertThat(provider.release(request.ref())).isTrue();
	}

	@Test
	void unreachableServerIsReportedAsUnavailableNamingTheKey() {
		RedisTestServer dead = new RedisTestServer();
		LettuceConnectionFactory deadFactory = dead.connectionFactory(Duration.ofMillis(300));
		try (RedisLockProvider deadProvider = RedisLockProvider.builder(deadFactory).build()) {
			dead.stop();
			String key = key();
			org.assertj.core.api.Assertions
				.assertThatExceptionOfType(LockProviderUnavailableException.class)
				.isThrownBy(() -> deadProvider.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(5))))
				.satisfies((ex) -> assertThat(ex.getKey()).isEqualTo(key))
				.withMessageContaining(key);
			org.assertj.core.api.Assertions
				.assertThatExceptionOfType(LockProviderUnavailableException.class)
				.isThrownBy(deadProvider::ping);
		}
		finally {
			deadFactory.destroy();
			dead.close();
		}
	}

	@Test
	void builderRejectsBadSettings() {
		assertThatIllegalArgumentException().isThrownBy(() -> RedisLockProvider.builder(factory).minReplicas(-1))
			.withMessageContaining("minReplicas");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> RedisLockProvider.builder(factory).replicaTimeout(Duration.ZERO))
			.withMessageContaining("replicaTimeout");
		assertThatIllegalArgumentException().isThrownBy(() -> RedisLockProvider.builder(factory).channel(" "))
			.withMessageContaining("channel");
		assertThat(provider.name()).isEqualTo("redis");
		assertThat(provider.notifiesReleases()).isTrue();
	}

	static LeaseRequest request(String key, LeaseType type, Duration ttl) {
		return new LeaseRequest(key, type, UUID.randomUUID().toString(), "test-owner", ttl, 1, 1, Map.of());
	}

	static LeaseRequest permits(String key, int permits, int limit) {
		return permits(key, permits, limit, Duration.ofSeconds(5));
	}

	static LeaseRequest permits(String key, int permits, int limit, Duration ttl) {
		return new LeaseRequest(key, LeaseType.PERMITS, UUID.randomUUID().toString(), "test-owner", ttl, permits,
				limit, Map.of());
	}

	static String key() {
		return "lock:" + UUID.randomUUID();
	}

	private static long pttl(String key) {
		try (RedisConnection connection = factory.getConnection()) {
			return connection.keyCommands().pTtl(RedisKeys.leaseKeyBytes(key));
		}
	}

	private static long subscribers(String channel) throws Exception {
		try (RedisConnection connection = factory.getConnection()) {
			@SuppressWarnings("unchecked")
			RedisAsyncCommands<byte[], byte[]> commands = (RedisAsyncCommands<byte[], byte[]>) connection
				.getNativeConnection();
			return commands.pubsubNumsub(channel.getBytes()).get(5, TimeUnit.SECONDS).values().iterator().next();
		}
	}

	private static long serverStat(String section, String name) {
		try (RedisConnection connection = factory.getConnection()) {
			return Long.parseLong(connection.serverCommands().info(section).getProperty(name).trim());
		}
	}

	private static long waitFlagPttl(String key) {
		try (RedisConnection connection = factory.getConnection()) {
			return connection.keyCommands().pTtl(RedisKeys.waitKeyBytes(key));
		}
	}

	private static long evalshaCalls() {
		return commandCalls("evalsha");
	}

	/** Calls of a command counted by the server, including calls from scripts. */
	private static long commandCalls(String command) {
		try (RedisConnection connection = factory.getConnection()) {
			Properties stats = connection.serverCommands().info("commandstats");
			String line = stats.getProperty("cmdstat_" + command, "calls=0,");
			String calls = line.substring(line.indexOf("calls=") + 6, line.indexOf(','));
			return Long.parseLong(calls);
		}
	}

}
