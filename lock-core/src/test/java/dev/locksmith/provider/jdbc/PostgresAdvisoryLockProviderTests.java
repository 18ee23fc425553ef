package dev.locksmith.provider.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.locksmith.LeaseType;
import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.testsupport.PostgresTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * Advisory-mode specifics on a real PostgreSQL: session loss, lock ids, the sequence, contention.
 */
class PostgresAdvisoryLockProviderTests {

	private static HikariDataSource dataSource;

	@BeforeAll
	static void createDatabase() {
		dataSource = PostgresTestServer.newDatabase(60);
		AbstractJdbcLockProviderTests.runSchema(dataSource, "postgresql");
	}

	@AfterAll
	static void closeDatabase() {
		dataSource.close();
	}

	private static PostgresAdvisoryLockProvider provider() {
		return PostgresAdvisoryLockProvider.builder(dataSource).livenessCheckInterval(Duration.ofMillis(200)).build();
	}

	/** Issue 13, items 6 and 7: see {@link BadInput}; no connection is borrowed, so none is marked broken. */
	@Test
	void oversizeKeysMetadataAndSubMillisecondTtlsAreRejectedBeforeAnySql() {
		BadInput.CountingDataSource counting = new BadInput.CountingDataSource(dataSource);
		try (PostgresAdvisoryLockProvider counted = PostgresAdvisoryLockProvider.builder(counting.dataSource).build()) {
			BadInput.assertRejectedBeforeAnySql(counted, counting);
			BadInput.assertLimitsAreUsable(counted);
		}
	}

	/**
	 * Issue 13, item 6: a data error (here a key too long for a narrower table) is bad input, and the
	 * connection goes back to the pool healthy, without the advisory lock the failed statement took: the pool
	 * of one keeps the same backend.
	 */
	@Test
	void aDataErrorKeepsTheConnectionAndGivesBackTheLock() throws Exception {
		try (HikariDataSource single = PostgresTestServer.newDatabase(1)) {
			AbstractJdbcLockProviderTests.runSchema(single, "postgresql");
			AbstractJdbcLockProviderTests.execute(single, "CREATE TABLE narrow_lock (LIKE locksmith_lock INCLUDING ALL)");
			AbstractJdbcLockProviderTests.execute(single, "ALTER TABLE narrow_lock ALTER COLUMN lock_key TYPE VARCHAR(40)");
			long backend = backendPid(single);
			try (PostgresAdvisoryLockProvider narrow = PostgresAdvisoryLockProvider.builder(single)
				.tableName("narrow_lock")
				.build()) {
				for (LeaseType type : List.of(LeaseType.WRITE, LeaseType.READ)) {
					LeaseRequest request = new LeaseRequest("x".repeat(100), type, UUID.randomUUID().toString(), "owner",
							Duration.ofSeconds(30), 1, 1, Map.of());
					assertThatIllegalArgumentException().isThrownBy(() -> narrow.acquire(request))
						.withMessageContaining("SQLState 22");
				}
			}
			assertThat(backendPid(single)).as("the pooled connection's backend").isEqualTo(backend);
			try (Connection connection = single.getConnection();
					Statement statement = connection.createStatement();
					ResultSet rs = statement.executeQuery("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")) {
				rs.next();
				assertThat(rs.getLong(1)).as("advisory locks left behind").isZero();
			}
		}
	}

	private static long backendPid(DataSource source) throws SQLException {
		try (Connection connection = source.getConnection();
				Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("SELECT pg_backend_pid()")) {
			rs.next();
			return rs.getLong(1);
		}
	}

	@Test
	void killingTheHoldersSessionReportsLossPromptlyAndFreesTheLock() throws Exception {
		try (PostgresAdvisoryLockProvider holderProvider = provider();
				LockEngine holder = Locksmith.builder(holderProvider).build();
				PostgresAdvisoryLockProvider otherProvider = provider();
				LockEngine other = Locksmith.builder(otherProvider).build()) {
			String key = "killed-" + UUID.randomUUID();
			int activeBefore = dataSource.getHikariPoolMXBean().getActiveConnections();
			// a 10-minute lease: only the session's death can explain a prompt loss
			LockHandle handle = holder.acquire(key, LockOptions.ttl(Duration.ofMinutes(10)));
			CountDownLatch lost = new CountDownLatch(1);
			handle.onLost(lost::countDown);
			List<Integer> pids = holderPids(holderProvider.lockId(key));
			assertThat(pids).hasSize(1);
			long killedAt = System.nanoTime();
			try (Connection admin = dataSource.getConnection();
					PreparedStatement kill = admin.prepareStatement("SELECT pg_terminate_backend(?)")) {
				kill.setInt(1, pids.get(0));
				kill.executeQuery().close();
			}
			assertThat(lost.await(5, TimeUnit.SECONDS)).as("loss reported").isTrue();
			System.out.printf("[advisory] loss reported %d ms after pg_terminate_backend%n",
					TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));
			assertThat(handle.isValid()).isFalse();
			// the dead pinned connection went back to the pool's books (and out of the pool)
			await().atMost(Duration.ofSeconds(5))
				.until(() -> dataSource.getHikariPoolMXBean().getActiveConnections() <= activeBefore);
			try (LockHandle next = other.acquire(key, LockOptions.waitTime(Duration.ofSeconds(5)))) {
				assertThat(next.fencingToken()).isGreaterThan(handle.fencingToken());
			}
		}
	}

	@Test
	void releaseNotifiesOnlyWhileADenialHasFlaggedTheKey() throws Exception {
		try (PostgresAdvisoryLockProvider provider = provider();
				Connection listener = dataSource.getConnection();
				Statement listen = listener.createStatement()) {
			listen.execute("LISTEN locksmith_lock");
			String quiet = "quiet-" + UUID.randomUUID();
			String watchedByWriter = "watched-w-" + UUID.randomUUID();
			String watchedByReader = "watched-r-" + UUID.randomUUID();
			LeaseRequest quietLease = request(quiet, LeaseType.WRITE, 1, 1);
			LeaseRequest writerHeld = request(watchedByWriter, LeaseType.WRITE, 1, 1);
			LeaseRequest readerHeld = request(watchedByReader, LeaseType.WRITE, 1, 1);
			assertThat(provider.acquire(quietLease).isGranted()).isTrue();
			assertThat(provider.acquire(writerHeld).isGranted()).isTrue();
			assertThat(provider.acquire(readerHeld).isGranted()).isTrue();
			// one denial in the writer's one-statement grant, one on the reader's path
			assertThat(provider.acquire(request(watchedByWriter, LeaseType.WRITE, 1, 1)).isGranted()).isFalse();
			assertThat(provider.acquire(request(watchedByReader, LeaseType.READ, 1, 1)).isGranted()).isFalse();
			// a second denial within half the flag's time writes nothing more
			long flagged = waitFlagMillis(watchedByWriter);
			assertThat(flagged).isGreaterThan(PostgresAdvisoryLockProvider.WAIT_FLAG_MILLIS / 2)
				.isLessThanOrEqualTo(PostgresAdvisoryLockProvider.WAIT_FLAG_MILLIS);
			assertThat(provider.acquire(request(watchedByWriter, LeaseType.WRITE, 1, 1)).isGranted()).isFalse();
			assertThat(waitFlagMillis(watchedByWriter)).isLessThanOrEqualTo(flagged);

			// notifications arrive in commit order: the unwatched key's release would come first
			assertThat(provider.release(quietLease.ref())).isTrue();
			assertThat(provider.release(writerHeld.ref())).isTrue();
			assertThat(provider.release(readerHeld.ref())).isTrue();
			List<String> notified = Notifications.collect(listener, Set.of(quiet, watchedByWriter, watchedByReader), 2);
			assertThat(notified).containsExactly(watchedByWriter, watchedByReader);
		}
	}

	private static long waitFlagMillis(String key) throws SQLException {
		try (Connection connection = dataSource.getConnection();
				PreparedStatement statement = connection.prepareStatement("SELECT CAST(EXTRACT(EPOCH FROM"
						+ " (expires_at - now())) * 1000 AS BIGINT) FROM locksmith_lock WHERE lock_key = ? AND lease_id = ''")) {
			statement.setString(1, key);
			try (ResultSet rs = statement.executeQuery()) {
				assertThat(rs.next()).as("wait flag row of " + key).isTrue();
				return rs.getLong(1);
			}
		}
	}

	@Test
	void namespacesSeparateLockIds() {
		try (PostgresAdvisoryLockProvider first = provider();
				PostgresAdvisoryLockProvider second = PostgresAdvisoryLockProvider.builder(dataSource).namespace(42).build()) {
			assertThat(first.name()).isEqualTo("jdbc-advisory");
			try (PostgresAdvisoryLockProvider third = provider()) {
				assertThat(first.lockId("k")).isEqualTo(third.lockId("k"));
			}
			assertThat(first.lockId("k")).isNotEqualTo(second.lockId("k")).isNotEqualTo(first.lockId("k2"));
		}
	}

	@Test
	void readersAndPermitsExcludeEachOtherAndSlotsCountPermits() {
		try (PostgresAdvisoryLockProvider a = provider(); PostgresAdvisoryLockProvider b = provider()) {
			String key = "kinds-" + UUID.randomUUID();
			LeaseRequest reader = request(key, LeaseType.READ, 1, 1);
			assertThat(a.acquire(reader).isGranted()).isTrue();
			assertThat(b.acquire(request(key, LeaseType.READ, 1, 1)).isGranted()).isTrue();
			assertThat(b.acquire(request(key, LeaseType.PERMITS, 1, 3)).isGranted()).isFalse();
			assertThat(b.acquire(request(key, LeaseType.WRITE, 1, 1)).isGranted()).isFalse();
			String sem = "slots-" + UUID.randomUUID();
			LeaseRequest two = request(sem, LeaseType.PERMITS, 2, 3);
			Grant first = a.acquire(two);
			assertThat(first.isGranted()).isTrue();
			assertThat(b.acquire(request(sem, LeaseType.PERMITS, 2, 3)).isGranted()).isFalse();
			Grant one = b.acquire(request(sem, LeaseType.PERMITS, 1, 3));
			assertThat(one.isGranted()).isTrue();
			assertThat(one.fencingToken()).isGreaterThan(first.fencingToken());
			assertThat(b.acquire(request(sem, LeaseType.READ, 1, 1)).isGranted()).isFalse();
			assertThat(a.inspect(sem).leases()).extracting((lease) -> lease.permits()).containsExactly(2, 1);
			assertThat(a.release(two.ref())).isTrue();
			assertThat(b.acquire(request(sem, LeaseType.PERMITS, 2, 3)).isGranted()).isTrue();
		}
	}

	/**
	 * A READ or PERMITS attempt whose reply was lost after the server recorded the lease: the client aborts the
	 * connection (the session and its advisory locks end, the record stays) and the engine re-sends the same
	 * lease id. The re-send must be granted like a new request, not rejected as bad input because the lease
	 * id's record already exists. The record the first attempt committed is written here directly.
	 */
	@Test
	void aSharedAttemptResentAfterItsReplyWasLostIsGrantedAgain() throws SQLException {
		try (PostgresAdvisoryLockProvider a = provider()) {
			for (LeaseType type : List.of(LeaseType.READ, LeaseType.PERMITS)) {
				String key = "lost-reply-" + UUID.randomUUID();
				LeaseRequest first = request(key, type, 1, 2);
				try (Connection connection = dataSource.getConnection();
						PreparedStatement record = connection.prepareStatement("INSERT INTO locksmith_lock (lock_key,"
								+ " lease_id, lease_type, owner, permits, metadata, fencing_token, locked_at, expires_at)"
								+ " VALUES (?, ?, ?, 'owner', 1, '', nextval('locksmith_fencing_seq'), now(),"
								+ " now() + INTERVAL '30 seconds')")) {
					record.setString(1, key);
					record.setString(2, first.leaseId());
					record.setString(3, type.name());
					record.executeUpdate();
				}
				Grant again = a.acquire(first);
				assertThat(again.isGranted()).as(type + " re-sent").isTrue();
				assertThat(a.inspect(key).leases()).singleElement()
					.satisfies((lease) -> assertThat(lease.fencingToken()).isEqualTo(again.fencingToken()));
				assertThat(a.acquire(request(key, LeaseType.WRITE, 1, 1)).isGranted()).isFalse();
				assertThat(a.release(first.ref())).isTrue();
				assertThat(a.acquire(request(key, LeaseType.WRITE, 1, 1)).isGranted()).isTrue();
			}
		}
	}

	/** As in table mode: the lease id of a held PERMITS lease with more permits is not a re-send of it. */
	@Test
	void aRequestReusingALeaseIdWithMorePermitsIsNotGrantedOverTheLimit() {
		try (PostgresAdvisoryLockProvider a = provider()) {
			String key = "reuse-" + UUID.randomUUID();
			LeaseRequest one = request(key, LeaseType.PERMITS, 1, 2);
			assertThat(a.acquire(one).isGranted()).isTrue();
			assertThat(a.acquire(request(key, LeaseType.PERMITS, 1, 2)).isGranted()).isTrue();
			LeaseRequest two = new LeaseRequest(key, LeaseType.PERMITS, one.leaseId(), one.owner(), one.ttl(), 2, 2,
					Map.of());
			assertThat(a.acquire(two).isGranted()).as("2 more permits while 2 of 2 are taken").isFalse();
			assertThat(a.inspect(key).leases()).extracting((lease) -> lease.permits()).containsExactly(1, 1);
		}
	}

	@Test
	void deniedAttemptsReturnTheirConnection() {
		try (PostgresAdvisoryLockProvider a = provider()) {
			String key = "pool-" + UUID.randomUUID();
			assertThat(a.acquire(request(key, LeaseType.WRITE, 1, 1)).isGranted()).isTrue();
			int before = dataSource.getHikariPoolMXBean().getActiveConnections();
			for (int i = 0; i < 100; i++) {
				assertThat(a.acquire(request(key, LeaseType.WRITE, 1, 1)).isGranted()).isFalse();
				assertThat(a.acquire(request(key, LeaseType.READ, 1, 1)).isGranted()).isFalse();
			}
			assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isEqualTo(before);
		}
	}

	@Test
	void rejectsBadSettingsAndOtherDatabases() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> PostgresAdvisoryLockProvider.builder(dataSource).livenessCheckInterval(Duration.ZERO))
			.withMessageContaining("livenessCheckInterval");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> PostgresAdvisoryLockProvider.builder(dataSource).sequenceName("bad name"))
			.withMessageContaining("sequenceName");
		try (HikariDataSource h2 = JdbcLockProviderH2Tests.h2DataSource("advisory-rejects")) {
			assertThatIllegalStateException().isThrownBy(() -> PostgresAdvisoryLockProvider.builder(h2).build())
				.withMessageContaining("PostgreSQL");
		}
	}

	@Test
	void createsAMissingSequence() throws SQLException {
		String sequence = "seq_" + UUID.randomUUID().toString().replace("-", "");
		try (PostgresAdvisoryLockProvider custom = PostgresAdvisoryLockProvider.builder(dataSource)
			.sequenceName(sequence)
			.build()) {
			LeaseRequest request = request("seq-" + UUID.randomUUID(), LeaseType.WRITE, 1, 1);
			Grant grant = custom.acquire(request);
			assertThat(grant.fencingToken()).isEqualTo(1);
			assertThat(custom.release(request.ref())).isTrue();
		}
	}

	@Test
	void contentionOnOneKeyKeepsExclusionWithoutSqlErrors() throws Exception {
		try (PostgresAdvisoryLockProvider a = provider()) {
			Contention.check(a, "postgresql-advisory", 16, AbstractJdbcLockProviderTests.CONTENTION_ROUNDS);
		}
	}

	private static LeaseRequest request(String key, LeaseType type, int permits, int limit) {
		return new LeaseRequest(key, type, UUID.randomUUID().toString(), "owner", Duration.ofSeconds(30), permits, limit,
				Map.of());
	}

	private static List<Integer> holderPids(long lockId) throws SQLException {
		List<Integer> pids = new ArrayList<>();
		try (Connection connection = dataSource.getConnection();
				PreparedStatement statement = connection.prepareStatement("SELECT pid FROM pg_locks WHERE locktype = "
						+ "'advisory' AND granted AND objsubid = 1 AND classid::bigint = ? AND objid::bigint = ?")) {
			statement.setLong(1, lockId >>> 32);
			statement.setLong(2, lockId & 0xFFFFFFFFL);
			try (ResultSet rs = statement.executeQuery()) {
				while (rs.next()) {
					pids.add(rs.getInt(1));
				}
			}
		}
		return pids;
	}

}
