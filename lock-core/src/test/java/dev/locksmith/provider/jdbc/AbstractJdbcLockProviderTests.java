package dev.locksmith.provider.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;
import org.springframework.transaction.support.TransactionTemplate;

import dev.locksmith.LeaseType;
import dev.locksmith.LockInfo;
import dev.locksmith.LockPage;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.ReleaseSubscription;
import dev.locksmith.spi.Renewal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * JDBC-specific checks of the table mode, run against each database by a subclass.
 */
abstract class AbstractJdbcLockProviderTests {

	/** Critical sections per thread in the contention test (16 threads); {@code -Dlocksmith.jdbc.contention=…}. */
	static final int CONTENTION_ROUNDS = Integer.getInteger("locksmith.jdbc.contention", 1000);

	private JdbcLockProvider provider;

	/** Returns a data source on a database that already holds the lock table. */
	protected abstract DataSource dataSource();

	/** Returns the critical sections per thread in the contention test. */
	protected int contentionRounds() {
		return CONTENTION_ROUNDS;
	}

	/** Returns the platform the provider should detect. */
	protected abstract String expectedPlatform();

	static void runSchema(DataSource dataSource, String platform) {
		new ResourceDatabasePopulator(
				new ClassPathResource("dev/locksmith/provider/jdbc/schema-" + platform + ".sql"))
			.execute(dataSource);
	}

	@BeforeEach
	void createProvider() {
		this.provider = JdbcLockProvider.builder(dataSource()).build();
	}

	@AfterEach
	void closeProvider() {
		this.provider.close();
	}

	static LeaseRequest request(String key, LeaseType type, Duration ttl) {
		return new LeaseRequest(key, type, UUID.randomUUID().toString(), "owner-1", ttl, 1, 1, Map.of("app", "test"));
	}

	static LeaseRequest permits(String key, int permits, int limit) {
		return new LeaseRequest(key, LeaseType.PERMITS, UUID.randomUUID().toString(), "owner-1", Duration.ofSeconds(30),
				permits, limit, Map.of());
	}

	static String key() {
		return "key-" + UUID.randomUUID();
	}

	@Test
	void detectsPlatformAndSchemaScriptIsIdempotent() {
		assertThat(this.provider.platform()).isEqualTo(expectedPlatform());
		assertThat(this.provider.name()).isEqualTo("jdbc");
		runSchema(dataSource(), expectedPlatform());
		this.provider.verifySchema();
		this.provider.ping();
	}

	@Test
	void missingTableFailsFastNamingTheTable() {
		assertThatIllegalStateException()
			.isThrownBy(() -> JdbcLockProvider.builder(dataSource()).tableName("no_such_lock_table").build())
			.withMessageContaining("no_such_lock_table")
			.withMessageContaining("schema-" + expectedPlatform() + ".sql");
	}

	@Test
	void badTableNameIsRejected() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> JdbcLockProvider.builder(dataSource()).tableName("locks; DROP TABLE x"))
			.withMessageContaining("tableName");
	}

	@Test
	void writeExcludesAndTokensIncreaseAcrossReleases() {
		String key = key();
		LeaseRequest first = request(key, LeaseType.WRITE, Duration.ofSeconds(30));
		Grant granted = this.provider.acquire(first);
		assertThat(granted.isGranted()).isTrue();
		Grant denied = this.provider.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(30)));
		assertThat(denied.isGranted()).isFalse();
		assertThat(denied.retryAfter()).isNotNull().isPositive().isLessThanOrEqualTo(Duration.ofSeconds(30));
		assertThat(this.provider.acquire(request(key, LeaseType.READ, Duration.ofSeconds(30))).isGranted()).isFalse();
		assertThat(this.provider.release(new LeaseRef(key, LeaseType.WRITE, "someone-else"))).isFalse();
		assertThat(this.provider.release(first.ref())).isTrue();
		assertThat(this.provider.release(first.ref())).isFalse();
		Grant next = this.provider.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(30)));
		assertThat(next.isGranted()).isTrue();
		assertThat(next.fencingToken()).isGreaterThan(granted.fencingToken());
	}

	@Test
	void expiryIsDecidedByTheDatabaseAndExpiredHolderCannotReleaseTheNext() {
		String key = key();
		LeaseRequest first = request(key, LeaseType.WRITE, Duration.ofMillis(300));
		assertThat(this.provider.acquire(first).isGranted()).isTrue();
		LeaseRequest second = request(key, LeaseType.WRITE, Duration.ofSeconds(30));
		await().atMost(Duration.ofSeconds(5)).until(() -> this.provider.acquire(second).isGranted());
		assertThat(this.provider.extend(first.ref(), Duration.ofSeconds(10))).isFalse();
		assertThat(this.provider.release(first.ref())).isFalse();
		LockInfo info = this.provider.inspect(key);
		assertThat(info.leases()).singleElement().satisfies((lease) -> assertThat(lease.leaseId()).isEqualTo(second.leaseId()));
	}

	/**
	 * A request re-sent after its lease expired is a fresh acquisition: it takes a new token (the expired row
	 * of the same lease id is replaced, not duplicated) and still respects other holders.
	 */
	@Test
	void aRequestResentAfterItsLeaseExpiredTakesANewToken() {
		for (LeaseType type : List.of(LeaseType.WRITE, LeaseType.READ)) {
			String key = key();
			LeaseRequest first = request(key, type, Duration.ofMillis(200));
			Grant granted = this.provider.acquire(first);
			assertThat(granted.isGranted()).isTrue();
			await().atMost(Duration.ofSeconds(5)).until(() -> !this.provider.inspect(key).isLocked());
			Grant again = this.provider.acquire(first);
			assertThat(again.isGranted()).isTrue();
			assertThat(again.fencingToken()).isGreaterThan(granted.fencingToken());
			assertThat(this.provider.inspect(key).leases()).singleElement()
				.satisfies((lease) -> assertThat(lease.fencingToken()).isEqualTo(again.fencingToken()));
			assertThat(this.provider.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(30))).isGranted())
				.isFalse();
		}
	}

	/**
	 * A request with the lease id of a live PERMITS lease but more permits is not a re-send of it: returning
	 * the existing grant would let its caller use more permits than the table counts, over the limit.
	 */
	@Test
	void aRequestReusingALeaseIdWithMorePermitsIsNotGrantedOverTheLimit() {
		String key = key();
		LeaseRequest one = permits(key, 1, 2);
		assertThat(this.provider.acquire(one).isGranted()).isTrue();
		assertThat(this.provider.acquire(permits(key, 1, 2)).isGranted()).isTrue();
		LeaseRequest two = new LeaseRequest(key, LeaseType.PERMITS, one.leaseId(), one.owner(), one.ttl(), 2, 2,
				Map.of());
		assertThat(this.provider.acquire(two).isGranted()).as("2 more permits while 2 of 2 are taken").isFalse();
		assertThat(this.provider.inspect(key).leases()).extracting((lease) -> lease.permits()).containsExactly(1, 1);
	}

	/**
	 * A re-sent acquisition (same lease id) that finds its lease live but whose refresh meets a concurrent end
	 * of that lease (a release by id through another instance or a forced release, committed after the re-send
	 * read the leases) must not return the old grant: no lease row would back it, and the next acquirer of the
	 * key would be granted too. A third session deletes the row and commits once the refresh waits on it.
	 */
	@Test
	void aResendRacingTheEndOfItsLeaseNeverReturnsAGrantWithoutALiveLease() throws Exception {
		for (LeaseType type : List.of(LeaseType.READ, LeaseType.PERMITS)) {
			String key = key();
			LeaseRequest first = (type == LeaseType.READ) ? request(key, type, Duration.ofSeconds(30)) : permits(key, 1, 1);
			assertThat(this.provider.acquire(first).isGranted()).isTrue();
			try (Connection third = dataSource().getConnection()) {
				third.setAutoCommit(false);
				try (PreparedStatement delete = third
					.prepareStatement("DELETE FROM locksmith_lock WHERE lock_key = ? AND lease_id = ?")) {
					delete.setString(1, key);
					delete.setString(2, first.leaseId());
					assertThat(delete.executeUpdate()).isEqualTo(1);
				}
				CompletableFuture<Grant> resent = CompletableFuture.supplyAsync(() -> this.provider.acquire(first));
				await().atMost(Duration.ofSeconds(5)).until(() -> resent.isDone() || lockWaiters() == 1);
				third.commit();
				Grant again = resent.get(10, TimeUnit.SECONDS);
				if (again.isGranted()) {
					assertThat(this.provider.inspect(key).leases()).as("the lease row behind the re-send's grant")
						.anySatisfy((lease) -> {
							assertThat(lease.leaseId()).isEqualTo(first.leaseId());
							assertThat(lease.fencingToken()).isEqualTo(again.fencingToken());
						});
				}
				Grant other = this.provider.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(30)));
				assertThat(again.isGranted() && other.isGranted()).as(type + ": re-sent grant and a writer at once")
					.isFalse();
			}
		}
	}

	/**
	 * Issue 13, item 1: an extension whose {@code now()} is taken just before the lease's expiry but which
	 * commits just after it must not leave two live write leases. A third session holds L1's row lock to stand
	 * in for the extension's slow commit; the grant of L2 starts once L1 has expired by the database clock.
	 */
	@Test
	void anExtensionCommittingAfterExpiryNeverLeavesTwoLiveWriters() throws Exception {
		raceExtensionWithGrant((provider, lease) -> provider.extend(lease, Duration.ofSeconds(30)));
	}

	/** As above, through the batched renewal ({@code UPDATE … FROM unnest}). */
	@Test
	void aRenewalCommittingAfterExpiryNeverLeavesTwoLiveWriters() throws Exception {
		raceExtensionWithGrant((provider, lease) -> provider
			.renew(List.of(new Renewal(lease, Duration.ofSeconds(30)))).contains(lease));
	}

	private void raceExtensionWithGrant(Extension extension) throws Exception {
		try (JdbcLockProvider provider = JdbcLockProvider.builder(dataSource()).build();
				Connection third = dataSource().getConnection()) {
			String key = key();
			LeaseRequest first = request(key, LeaseType.WRITE, Duration.ofMillis(1500));
			assertThat(provider.acquire(first).isGranted()).isTrue();
			third.setAutoCommit(false);
			try (PreparedStatement lockRow = third
				.prepareStatement("SELECT 1 FROM locksmith_lock WHERE lock_key = ? AND lease_id = ? FOR UPDATE")) {
				lockRow.setString(1, key);
				lockRow.setString(2, first.leaseId());
				lockRow.executeQuery().close();
			}
			CompletableFuture<Boolean> extended = CompletableFuture
				.supplyAsync(() -> extension.extend(provider, first.ref()));
			await().atMost(Duration.ofSeconds(5)).until(() -> lockWaiters() == 1);
			// the extension's now() is fixed; let the lease run out by the database's clock
			await().atMost(Duration.ofSeconds(5)).until(() -> expiredByDatabaseClock(key, first.leaseId()));
			LeaseRequest second = request(key, LeaseType.WRITE, Duration.ofSeconds(30));
			CompletableFuture<Grant> granted = CompletableFuture.supplyAsync(() -> provider.acquire(second));
			await().atMost(Duration.ofSeconds(5)).until(() -> granted.isDone() || lockWaiters() == 2);
			third.commit();
			boolean extendedL1 = extended.get(10, TimeUnit.SECONDS);
			boolean grantedL2 = granted.get(10, TimeUnit.SECONDS).isGranted();
			LockInfo info = provider.inspect(key);
			assertThat(info.leases()).as("live write leases on the key").hasSizeLessThanOrEqualTo(1);
			assertThat(extendedL1 && grantedL2).as("extend(L1) and acquire(L2) both succeeded").isFalse();
			assertThat(extendedL1 || grantedL2).as("one of them succeeds").isTrue();
		}
	}

	/**
	 * A forced release and a batched renewal of two leases on one key must not deadlock (PostgreSQL would abort
	 * one of them after its deadlock timeout: a spurious outage, a renewal reported failed). The renewal locks
	 * the key's counter row and then updates the lease rows in its list's order; a forced release that deletes
	 * the same rows in another order without that lock can hold one while waiting for the other. A third
	 * session's {@code FOR KEY SHARE} lock on the second row (which an update does not wait for, a delete does)
	 * makes the forced release wait there after deleting the first.
	 */
	@Test
	void aForcedReleaseAndARenewalOfTheSameKeyDoNotDeadlock() throws Exception {
		Assumptions.assumeTrue(expectedPlatform().equals("postgresql"), "FOR KEY SHARE is PostgreSQL's");
		for (boolean reversed : List.of(false, true)) {
			String key = key();
			LeaseRequest first = new LeaseRequest(key, LeaseType.READ, "a-" + UUID.randomUUID(), "owner-1",
					Duration.ofSeconds(30), 1, 1, Map.of());
			LeaseRequest second = new LeaseRequest(key, LeaseType.READ, "b-" + UUID.randomUUID(), "owner-1",
					Duration.ofSeconds(30), 1, 1, Map.of());
			assertThat(this.provider.acquire(first).isGranted()).isTrue();
			assertThat(this.provider.acquire(second).isGranted()).isTrue();
			List<Renewal> renewals = List.of(new Renewal(first.ref(), Duration.ofSeconds(30)),
					new Renewal(second.ref(), Duration.ofSeconds(30)));
			List<Renewal> batch = reversed ? List.of(renewals.get(1), renewals.get(0)) : renewals;
			try (Connection third = dataSource().getConnection()) {
				third.setAutoCommit(false);
				try (PreparedStatement keyShare = third.prepareStatement(
						"SELECT 1 FROM locksmith_lock WHERE lock_key = ? AND lease_id = ? FOR KEY SHARE")) {
					keyShare.setString(1, key);
					keyShare.setString(2, second.leaseId());
					keyShare.executeQuery().close();
				}
				CompletableFuture<Boolean> forced = CompletableFuture.supplyAsync(() -> this.provider.forceRelease(key));
				await().atMost(Duration.ofSeconds(5)).until(() -> forced.isDone() || lockWaiters() == 1);
				CompletableFuture<Set<LeaseRef>> renewed = CompletableFuture.supplyAsync(() -> this.provider.renew(batch));
				await().atMost(Duration.ofSeconds(5)).until(() -> renewed.isDone() || lockWaiters() == 2);
				third.commit();
				assertThat(forced.handle((result, error) -> rootCause(error)).get(20, TimeUnit.SECONDS))
					.as("forced release error (list reversed: " + reversed + ")").isNull();
				assertThat(renewed.handle((result, error) -> rootCause(error)).get(20, TimeUnit.SECONDS))
					.as("renewal error (list reversed: " + reversed + ")").isNull();
				assertThat(this.provider.inspect(key).isLocked()).isEqualTo(!renewed.get().isEmpty());
			}
		}
	}

	private static String rootCause(Throwable error) {
		if (error == null) {
			return null;
		}
		Throwable cause = error;
		while (cause.getCause() != null && cause.getCause() != cause) {
			cause = cause.getCause();
		}
		return cause.toString();
	}

	@FunctionalInterface
	private interface Extension {

		boolean extend(JdbcLockProvider provider, LeaseRef lease);

	}

	/**
	 * Returns how many sessions of the test database wait for a lock.
	 * @return the number of waiting sessions
	 * @throws SQLException on a database error
	 */
	protected abstract long lockWaiters() throws SQLException;

	private boolean expiredByDatabaseClock(String key, String leaseId) throws SQLException {
		String now = switch (expectedPlatform()) {
			case "postgresql" -> "now()";
			case "h2" -> "CURRENT_TIMESTAMP";
			default -> "UTC_TIMESTAMP(3)";
		};
		try (Connection connection = dataSource().getConnection();
				PreparedStatement statement = connection.prepareStatement("SELECT CASE WHEN expires_at <= " + now
						+ " THEN 1 ELSE 0 END FROM locksmith_lock WHERE lock_key = ? AND lease_id = ?")) {
			statement.setString(1, key);
			statement.setString(2, leaseId);
			try (ResultSet rs = statement.executeQuery()) {
				return rs.next() && rs.getInt(1) == 1;
			}
		}
	}

	/**
	 * Issue 13, item 11 (decided: keep and document). Every key ever used keeps one counter row, so its fencing
	 * tokens never repeat, even after a release, an expiry or a forced release; the table grows by one row per
	 * distinct key.
	 */
	@Test
	void counterRowsStayOnePerKeyEverUsedSoTokensNeverRepeat() throws SQLException {
		String prefix = "counter-" + UUID.randomUUID() + ":";
		long[] tokens = new long[5];
		for (int i = 0; i < tokens.length; i++) {
			LeaseRequest lease = request(prefix + i, LeaseType.WRITE, Duration.ofSeconds(30));
			tokens[i] = this.provider.acquire(lease).fencingToken();
			if (i % 2 == 0) {
				assertThat(this.provider.release(lease.ref())).isTrue();
			}
			else {
				assertThat(this.provider.forceRelease(prefix + i)).isTrue();
			}
		}
		assertThat(countRows(prefix, true)).as("counter rows").isEqualTo(tokens.length);
		assertThat(countRows(prefix, false)).as("lease rows").isZero();
		for (int i = 0; i < tokens.length; i++) {
			assertThat(this.provider.acquire(request(prefix + i, LeaseType.WRITE, Duration.ofSeconds(30))).fencingToken())
				.isGreaterThan(tokens[i]);
		}
	}

	private long countRows(String prefix, boolean counters) throws SQLException {
		try (Connection connection = dataSource().getConnection();
				PreparedStatement statement = connection.prepareStatement("SELECT COUNT(*) FROM locksmith_lock"
						+ " WHERE lock_key LIKE ? AND " + (counters ? "lease_id = ''" : "lease_id <> ''"))) {
			statement.setString(1, prefix + "%");
			try (ResultSet rs = statement.executeQuery()) {
				rs.next();
				return rs.getLong(1);
			}
		}
	}

	/** Issue 13, items 6 and 7: see {@link BadInput}. */
	@Test
	void oversizeKeysMetadataAndSubMillisecondTtlsAreRejectedBeforeAnySql() {
		BadInput.CountingDataSource counting = new BadInput.CountingDataSource(dataSource());
		try (JdbcLockProvider counted = JdbcLockProvider.builder(counting.dataSource).build()) {
			BadInput.assertRejectedBeforeAnySql(counted, counting);
			BadInput.assertLimitsAreUsable(counted);
		}
	}

	/**
	 * A data error (SQLState class 22 or 23) is bad input, not an outage: here the table's key column is
	 * narrower than the provider's limit.
	 */
	@Test
	void aDataErrorFromTheDatabaseIsReportedAsBadInput() {
		execute(dataSource(), "CREATE TABLE IF NOT EXISTS narrow_lock (lock_key VARCHAR(40) NOT NULL,"
				+ " lease_id VARCHAR(128) NOT NULL, lease_type VARCHAR(8) NOT NULL, owner VARCHAR(255) NOT NULL,"
				+ " permits INTEGER NOT NULL, metadata VARCHAR(4000) NOT NULL, fencing_token BIGINT NOT NULL,"
				+ " locked_at TIMESTAMP WITH TIME ZONE NOT NULL, expires_at TIMESTAMP WITH TIME ZONE NOT NULL,"
				+ " PRIMARY KEY (lock_key, lease_id))");
		try (JdbcLockProvider narrow = JdbcLockProvider.builder(dataSource()).tableName("narrow_lock").build()) {
			for (LeaseType type : List.of(LeaseType.WRITE, LeaseType.READ)) {
				assertThatIllegalArgumentException()
					.isThrownBy(() -> narrow.acquire(request("x".repeat(100) + "\r\nforged", type, Duration.ofSeconds(30))))
					.withMessageContaining("SQLState 22")
					.withMessageNotContaining("x".repeat(65))
					.withMessageNotContaining("\n");
			}
		}
	}

	@Test
	void extendAndBatchedRenewMoveTheDatabaseExpiry() {
		String a = key();
		String b = key();
		LeaseRequest leaseA = request(a, LeaseType.WRITE, Duration.ofMillis(400));
		LeaseRequest leaseB = request(b, LeaseType.READ, Duration.ofMillis(400));
		assertThat(this.provider.acquire(leaseA).isGranted()).isTrue();
		assertThat(this.provider.acquire(leaseB).isGranted()).isTrue();
		assertThat(this.provider.extend(leaseA.ref(), Duration.ofSeconds(30))).isTrue();
		Set<LeaseRef> renewed = this.provider.renew(List.of(new Renewal(leaseA.ref(), Duration.ofSeconds(30)),
				new Renewal(leaseB.ref(), Duration.ofSeconds(30)),
				new Renewal(new LeaseRef(a, LeaseType.WRITE, "unknown"), Duration.ofSeconds(30))));
		assertThat(renewed).containsExactlyInAnyOrder(leaseA.ref(), leaseB.ref());
		assertThat(this.provider.inspect(a).expiresAt()).isAfter(this.provider.inspect(a).lockedAt().plusSeconds(20));
		assertThat(this.provider.inspect(b).expiresAt()).isAfter(this.provider.inspect(b).lockedAt().plusSeconds(20));
	}

	@Test
	void readersShareAndExcludeWritersAndPermits() {
		String key = key();
		LeaseRequest r1 = request(key, LeaseType.READ, Duration.ofSeconds(30));
		LeaseRequest r2 = request(key, LeaseType.READ, Duration.ofSeconds(30));
		Grant g1 = this.provider.acquire(r1);
		Grant g2 = this.provider.acquire(r2);
		assertThat(g1.isGranted()).isTrue();
		assertThat(g2.isGranted()).isTrue();
		assertThat(g2.fencingToken()).isGreaterThan(g1.fencingToken());
		assertThat(this.provider.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(30))).isGranted()).isFalse();
		assertThat(this.provider.acquire(permits(key, 1, 5)).isGranted()).isFalse();
		assertThat(this.provider.inspect(key).leases()).hasSize(2);
		assertThat(this.provider.release(r1.ref())).isTrue();
		assertThat(this.provider.release(r2.ref())).isTrue();
		assertThat(this.provider.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(30))).isGranted()).isTrue();
	}

	@Test
	void permitsCountUpToTheLimit() {
		String key = key();
		LeaseRequest two = permits(key, 2, 3);
		assertThat(this.provider.acquire(two).isGranted()).isTrue();
		assertThat(this.provider.acquire(permits(key, 2, 3)).isGranted()).isFalse();
		LeaseRequest one = permits(key, 1, 3);
		assertThat(this.provider.acquire(one).isGranted()).isTrue();
		assertThat(this.provider.acquire(permits(key, 1, 3)).isGranted()).isFalse();
		assertThat(this.provider.acquire(request(key, LeaseType.READ, Duration.ofSeconds(30))).isGranted()).isFalse();
		assertThat(this.provider.inspect(key).leases()).extracting((lease) -> lease.permits()).containsExactly(2, 1);
		assertThat(this.provider.release(two.ref())).isTrue();
		assertThat(this.provider.acquire(permits(key, 2, 3)).isGranted()).isTrue();
	}

	@Test
	void inspectListAndForceReleaseKeepTheCounter() {
		String prefix = "list-" + UUID.randomUUID() + ":";
		LeaseRequest a = request(prefix + "a", LeaseType.WRITE, Duration.ofSeconds(30));
		LeaseRequest b = request(prefix + "b_%", LeaseType.WRITE, Duration.ofSeconds(30));
		Grant grantA = this.provider.acquire(a);
		assertThat(grantA.isGranted()).isTrue();
		assertThat(this.provider.acquire(b).isGranted()).isTrue();
		LockInfo info = this.provider.inspect(prefix + "a");
		assertThat(info.isLocked()).isTrue();
		assertThat(info.holder()).isEqualTo("owner-1");
		assertThat(info.fencingToken()).isEqualTo(grantA.fencingToken());
		assertThat(info.metadata()).containsEntry("app", "test");
		assertThat(info.expiresAt()).isAfter(info.lockedAt());
		LockPage page = this.provider.list(prefix, 0, 10);
		assertThat(page.total()).isEqualTo(2);
		assertThat(page.locks()).extracting(LockInfo::key).containsExactly(prefix + "a", prefix + "b_%");
		assertThat(this.provider.list(prefix, 1, 10).locks()).extracting(LockInfo::key).containsExactly(prefix + "b_%");
		assertThat(this.provider.list(prefix + "b_", 0, 10).total()).isEqualTo(1);
		assertThat(this.provider.forceRelease(prefix + "a")).isTrue();
		assertThat(this.provider.forceRelease(prefix + "a")).isFalse();
		assertThat(this.provider.inspect(prefix + "a").isLocked()).isFalse();
		Grant after = this.provider.acquire(request(prefix + "a", LeaseType.WRITE, Duration.ofSeconds(30)));
		assertThat(after.fencingToken()).isGreaterThan(grantA.fencingToken());
	}

	@Test
	void releaseWakesASubscribedWaiter() throws InterruptedException {
		String key = key();
		LeaseRequest holder = request(key, LeaseType.WRITE, Duration.ofSeconds(30));
		assertThat(this.provider.acquire(holder).isGranted()).isTrue();
		try (ReleaseSubscription subscription = this.provider.subscribe(key)) {
			// a waiter is denied after subscribing (on PostgreSQL the denial flags the key for notification)
			assertThat(this.provider.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(5))).isGranted()).isFalse();
			assertThat(this.provider.release(holder.ref())).isTrue();
			assertThat(subscription.await(TimeUnit.SECONDS.toNanos(5))).isTrue();
		}
	}

	@Test
	void aLockTakenInsideATransactionIsVisibleAtOnceAndOutlivesItsRollback() {
		String key = key();
		LeaseRequest request = request(key, LeaseType.WRITE, Duration.ofSeconds(30));
		TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource()));
		transaction.executeWithoutResult((status) -> {
			assertThat(this.provider.acquire(request).isGranted()).isTrue();
			// another connection sees the lock while the caller's transaction is still open
			try (JdbcLockProvider other = JdbcLockProvider.builder(dataSource()).build()) {
				assertThat(other.inspect(key).isLocked()).isTrue();
				assertThat(other.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(30))).isGranted()).isFalse();
			}
			status.setRollbackOnly();
		});
		assertThat(this.provider.inspect(key).leases()).extracting((lease) -> lease.leaseId())
			.containsExactly(request.leaseId());
		assertThat(this.provider.release(request.ref())).isTrue();
	}

	@Test
	void databaseErrorsBecomeUnavailableNamingTheKey() {
		JdbcLockProvider unchecked = JdbcLockProvider.builder(dataSource())
			.tableName("missing_table")
			.verifySchema(false)
			.build();
		org.assertj.core.api.Assertions
			.assertThatThrownBy(() -> unchecked.acquire(request("the-key", LeaseType.WRITE, Duration.ofSeconds(1))))
			.isInstanceOf(dev.locksmith.LockProviderUnavailableException.class)
			.hasMessageContaining("the-key");
	}

	/**
	 * 16 threads × {@link #CONTENTION_ROUNDS} critical sections on one key: no overlap, no lost update, no
	 * SQL exception.
	 */
	@Test
	void contentionOnOneKeyKeepsExclusionWithoutSqlErrors() throws Exception {
		Contention.check(this.provider, expectedPlatform(), 16, contentionRounds());
	}

	static void execute(DataSource dataSource, String sql) {
		try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
			statement.execute(sql);
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
