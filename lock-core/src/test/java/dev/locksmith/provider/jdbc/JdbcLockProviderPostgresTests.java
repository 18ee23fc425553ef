package dev.locksmith.provider.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.ReleaseSubscription;
import dev.locksmith.spi.Renewal;
import dev.locksmith.testsupport.PostgresTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Table mode on a real PostgreSQL (embedded, started by the test).
 */
class JdbcLockProviderPostgresTests extends AbstractJdbcLockProviderTests {

	private static HikariDataSource dataSource;

	@BeforeAll
	static void createDatabase() {
		dataSource = PostgresTestServer.newDatabase();
		runSchema(dataSource, "postgresql");
	}

	@AfterAll
	static void closeDatabase() {
		dataSource.close();
	}

	@Override
	protected DataSource dataSource() {
		return dataSource;
	}

	@Override
	protected String expectedPlatform() {
		return "postgresql";
	}

	@Test
	void notifyWakesAWaiterOfAnotherProviderInstance() throws InterruptedException {
		try (JdbcLockProvider holderSide = JdbcLockProvider.builder(dataSource).build();
				JdbcLockProvider waiterSide = JdbcLockProvider.builder(dataSource).build()) {
			assertThat(waiterSide.notifiesReleases()).isTrue();
			String key = key();
			LeaseRequest holder = request(key, LeaseType.WRITE, Duration.ofSeconds(30));
			assertThat(holderSide.acquire(holder).isGranted()).isTrue();
			try (ReleaseSubscription subscription = waiterSide.subscribe(key)) {
				assertThat(waiterSide.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(30))).isGranted()).isFalse();
				assertThat(holderSide.release(holder.ref())).isTrue();
				assertThat(subscription.await(TimeUnit.SECONDS.toNanos(5))).isTrue();
			}
			assertThat(waiterSide.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(30))).isGranted()).isTrue();
		}
	}

	@Test
	void releaseNotifiesOnlyWhileADenialHasFlaggedTheKey() throws Exception {
		try (JdbcLockProvider provider = JdbcLockProvider.builder(dataSource).build();
				Connection listener = dataSource.getConnection();
				Statement listen = listener.createStatement()) {
			listen.execute("LISTEN locksmith_lock");
			String quiet = key();
			String watchedByWriter = key();
			String watchedByReader = key();
			LeaseRequest quietLease = request(quiet, LeaseType.WRITE, Duration.ofSeconds(30));
			LeaseRequest writerHeld = request(watchedByWriter, LeaseType.WRITE, Duration.ofSeconds(30));
			LeaseRequest readerHeld = request(watchedByReader, LeaseType.WRITE, Duration.ofSeconds(30));
			assertThat(provider.acquire(quietLease).isGranted()).isTrue();
			assertThat(provider.acquire(writerHeld).isGranted()).isTrue();
			assertThat(provider.acquire(readerHeld).isGranted()).isTrue();
			// one denial through the one-statement write path, one through the read-then-transaction path
			assertThat(provider.acquire(request(watchedByWriter, LeaseType.WRITE, Duration.ofSeconds(5))).isGranted()).isFalse();
			assertThat(provider.acquire(request(watchedByReader, LeaseType.READ, Duration.ofSeconds(5))).isGranted()).isFalse();
			// the flag outlasts the holder's expiry; a second denial while it does writes nothing
			Instant flag = waitFlag(watchedByWriter);
			assertThat(flag).isAfter(provider.inspect(watchedByWriter).expiresAt());
			assertThat(provider.acquire(request(watchedByWriter, LeaseType.WRITE, Duration.ofSeconds(5))).isGranted()).isFalse();
			assertThat(waitFlag(watchedByWriter)).isEqualTo(flag);

			// notifications arrive in commit order: the unwatched key's release would come first
			assertThat(provider.release(quietLease.ref())).isTrue();
			assertThat(provider.release(writerHeld.ref())).isTrue();
			assertThat(provider.release(readerHeld.ref())).isTrue();
			List<String> notified = Notifications.collect(listener, Set.of(quiet, watchedByWriter, watchedByReader), 2);
			assertThat(notified).containsExactly(watchedByWriter, watchedByReader);
		}
	}

	/**
	 * Issue 15: a release commits asynchronously only in its own implicit transaction; the pooled connection it
	 * ran on (the pool's only one) still commits synchronously afterwards.
	 */
	@Test
	void connectionBackInThePoolAfterAReleaseStillCommitsSynchronously() throws Exception {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(dataSource.getJdbcUrl());
		config.setUsername(dataSource.getUsername());
		config.setMaximumPoolSize(1);
		config.setMinimumIdle(0);
		// the embedded test server's default is off
		config.setConnectionInitSql("SET synchronous_commit = on");
		try (HikariDataSource single = new HikariDataSource(config)) {
			try (JdbcLockProvider provider = JdbcLockProvider.builder(single).build()) {
				LeaseRequest lease = request(key(), LeaseType.WRITE, Duration.ofSeconds(30));
				assertThat(provider.acquire(lease).isGranted()).isTrue();
				assertThat(provider.release(lease.ref())).isTrue();
				assertThat(provider.release(lease.ref())).isFalse();
			}
			try (Connection connection = single.getConnection()) {
				assertThat(connection.getAutoCommit()).isTrue();
				assertThat(JdbcLockProviderPostgresRepeatableReadTests.synchronousCommit(connection)).isEqualTo("on");
			}
		}
	}

	/**
	 * Issue 15: a denial must not write. Once the key's wait flag is up, further denials of writers (the
	 * one-round-trip path) and readers (the read-then-transaction path) leave the counter row untouched: no new
	 * version (xmin) and no row lock (xmax), so they assign no transaction id and flush no WAL.
	 */
	@Test
	void repeatedDenialsWriteNothing() throws Exception {
		try (JdbcLockProvider holderSide = JdbcLockProvider.builder(dataSource).build();
				JdbcLockProvider waiterSide = JdbcLockProvider.builder(dataSource).build()) {
			String key = key();
			LeaseRequest holder = request(key, LeaseType.WRITE, Duration.ofSeconds(30));
			assertThat(holderSide.acquire(holder).isGranted()).isTrue();
			// the first denial raises the wait flag
			assertThat(waiterSide.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(30))).isGranted()).isFalse();
			String before = counterRowVersion(key);
			for (int i = 0; i < 20; i++) {
				assertThat(waiterSide.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(30))).isGranted()).isFalse();
				assertThat(waiterSide.acquire(request(key, LeaseType.READ, Duration.ofSeconds(30))).isGranted()).isFalse();
			}
			assertThat(counterRowVersion(key)).isEqualTo(before);
			assertThat(holderSide.release(holder.ref())).isTrue();
			assertThat(waiterSide.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(30))).isGranted()).isTrue();
		}
	}

	/**
	 * Issue 15: a denial must not write on a pool whose connections are not in autocommit mode either (Spring
	 * Boot applications often set {@code auto-commit=false}). Before, such a connection skipped both the plain
	 * read and the one-round-trip grant: every denial bumped the counter row inside a transaction and rolled
	 * it back, so it waited for the row lock, got a transaction id and left the row's xmax changed.
	 */
	@Test
	void repeatedDenialsWriteNothingOnAPoolWithoutAutoCommit() throws Exception {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(dataSource.getJdbcUrl());
		config.setUsername(dataSource.getUsername());
		config.setMaximumPoolSize(2);
		config.setMinimumIdle(0);
		config.setAutoCommit(false);
		try (HikariDataSource manual = new HikariDataSource(config);
				JdbcLockProvider holderSide = JdbcLockProvider.builder(dataSource).build();
				JdbcLockProvider waiterSide = JdbcLockProvider.builder(manual).build()) {
			String key = key();
			LeaseRequest holder = request(key, LeaseType.WRITE, Duration.ofSeconds(30));
			assertThat(holderSide.acquire(holder).isGranted()).isTrue();
			// the first denial raises the wait flag
			assertThat(waiterSide.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(30))).isGranted()).isFalse();
			String before = counterRowVersion(key);
			for (int i = 0; i < 5; i++) {
				assertThat(waiterSide.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(30))).isGranted()).isFalse();
				assertThat(waiterSide.acquire(request(key, LeaseType.READ, Duration.ofSeconds(30))).isGranted()).isFalse();
				assertThat(waiterSide.acquire(permits(key, 1, 3)).isGranted()).isFalse();
			}
			assertThat(counterRowVersion(key)).isEqualTo(before);
			assertThat(holderSide.release(holder.ref())).isTrue();
			LeaseRequest next = request(key, LeaseType.WRITE, Duration.ofSeconds(30));
			assertThat(waiterSide.acquire(next).isGranted()).isTrue();
			assertThat(waiterSide.release(next.ref())).isTrue();
		}
	}

	/**
	 * Issue 15, no lost wake-up, with a second provider instance as the waiting "process": the holder's release
	 * takes its snapshot, then (held up on the lease row by a third session) deletes only after the waiter's
	 * first denial ran. The waiter must then either be granted or be notified. Before the release locked the
	 * counter row, the denial committed its wait flag after the release's snapshot, the release did not see it
	 * and sent no notification, and the waiter slept until the holder's TTL.
	 */
	@Test
	void aReleaseRacingTheFirstDenialStillWakesTheWaiter() throws Exception {
		try (JdbcLockProvider holderSide = JdbcLockProvider.builder(dataSource).build();
				JdbcLockProvider waiterSide = JdbcLockProvider.builder(dataSource).build();
				Connection blocker = dataSource.getConnection()) {
			// start the waiter's LISTEN connection first: it wakes every subscriber once when it starts
			waiterSide.subscribe(key()).close();
			String key = key();
			LeaseRequest holder = request(key, LeaseType.WRITE, Duration.ofSeconds(60));
			assertThat(holderSide.acquire(holder).isGranted()).isTrue();
			blocker.setAutoCommit(false);
			try (PreparedStatement lockRow = blocker
				.prepareStatement("SELECT 1 FROM locksmith_lock WHERE lock_key = ? AND lease_id = ? FOR UPDATE")) {
				lockRow.setString(1, key);
				lockRow.setString(2, holder.leaseId());
				lockRow.executeQuery().close();
			}
			long waitingBefore = lockWaiters();
			java.util.concurrent.CompletableFuture<Boolean> released = java.util.concurrent.CompletableFuture
				.supplyAsync(() -> holderSide.release(holder.ref()));
			await().atMost(Duration.ofSeconds(10)).until(() -> lockWaiters() > waitingBefore);
			try (ReleaseSubscription subscription = waiterSide.subscribe(key)) {
				java.util.concurrent.CompletableFuture<Boolean> acquired = java.util.concurrent.CompletableFuture
					.supplyAsync(() -> waiterSide.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(60))).isGranted());
				// the denial either returns or waits for the release (then it cannot be denied by this lease)
				await().atMost(Duration.ofSeconds(10))
					.until(() -> acquired.isDone() || lockWaiters() > waitingBefore + 1);
				blocker.rollback();
				assertThat(released.get(10, TimeUnit.SECONDS)).isTrue();
				boolean granted = acquired.get(10, TimeUnit.SECONDS);
				assertThat(granted || subscription.await(TimeUnit.SECONDS.toNanos(5)))
					.as("the waiter is granted or woken by the release").isTrue();
			}
		}
	}

	/**
	 * The same race as {@link #aReleaseRacingTheFirstDenialStillWakesTheWaiter} for readers and permits, whose
	 * denials go through the plain read, raise the wait flag in their own statement and read again.
	 */
	@Test
	void aReleaseRacingTheFirstReaderOrPermitsDenialStillWakesTheWaiter() throws Exception {
		for (boolean reader : new boolean[] { true, false }) {
			try (JdbcLockProvider holderSide = JdbcLockProvider.builder(dataSource).build();
					JdbcLockProvider waiterSide = JdbcLockProvider.builder(dataSource).build();
					Connection blocker = dataSource.getConnection()) {
				waiterSide.subscribe(key()).close();
				String key = key();
				LeaseRequest holder = reader ? request(key, LeaseType.WRITE, Duration.ofSeconds(60)) : permits(key, 3, 3);
				assertThat(holderSide.acquire(holder).isGranted()).isTrue();
				blocker.setAutoCommit(false);
				try (PreparedStatement lockRow = blocker
					.prepareStatement("SELECT 1 FROM locksmith_lock WHERE lock_key = ? AND lease_id = ? FOR UPDATE")) {
					lockRow.setString(1, key);
					lockRow.setString(2, holder.leaseId());
					lockRow.executeQuery().close();
				}
				long waitingBefore = lockWaiters();
				java.util.concurrent.CompletableFuture<Boolean> released = java.util.concurrent.CompletableFuture
					.supplyAsync(() -> holderSide.release(holder.ref()));
				await().atMost(Duration.ofSeconds(10)).until(() -> lockWaiters() > waitingBefore);
				LeaseRequest waiter = reader ? request(key, LeaseType.READ, Duration.ofSeconds(60)) : permits(key, 1, 3);
				try (ReleaseSubscription subscription = waiterSide.subscribe(key, waiter.type())) {
					java.util.concurrent.CompletableFuture<Boolean> acquired = java.util.concurrent.CompletableFuture
						.supplyAsync(() -> waiterSide.acquire(waiter).isGranted());
					await().atMost(Duration.ofSeconds(10))
						.until(() -> acquired.isDone() || lockWaiters() > waitingBefore + 1);
					blocker.rollback();
					assertThat(released.get(10, TimeUnit.SECONDS)).isTrue();
					boolean granted = acquired.get(10, TimeUnit.SECONDS);
					assertThat(granted || subscription.await(TimeUnit.SECONDS.toNanos(5)))
						.as("the %s waiter is granted or woken by the release", waiter.type()).isTrue();
				}
			}
		}
	}

	/**
	 * A release that has share-locked the counter row and read the wait flag but commits slowly (a deferred
	 * trigger waits on an advisory lock held by a third session): a denial arriving meanwhile either relies on
	 * a flag the release already saw (so the release notifies) or must write the flag and waits for the
	 * release's commit, after which it sees the lease gone. Writers (one round trip) and readers (plain read,
	 * then flag) are tried with the flag down and already up.
	 */
	@Test
	void aDenialDuringASlowReleaseCommitIsGrantedOrWoken() throws Exception {
		execute(dataSource, "CREATE SCHEMA IF NOT EXISTS slow");
		execute(dataSource, "CREATE TABLE IF NOT EXISTS slow.locks (LIKE locksmith_lock INCLUDING ALL)");
		execute(dataSource, "CREATE OR REPLACE FUNCTION slow.commit_gate() RETURNS trigger LANGUAGE plpgsql AS"
				+ " $$ BEGIN PERFORM pg_advisory_xact_lock(4242); RETURN NULL; END $$");
		execute(dataSource, "DROP TRIGGER IF EXISTS gate ON slow.locks");
		execute(dataSource, "CREATE CONSTRAINT TRIGGER gate AFTER DELETE ON slow.locks DEFERRABLE INITIALLY DEFERRED"
				+ " FOR EACH ROW EXECUTE FUNCTION slow.commit_gate()");
		for (LeaseType waiterType : new LeaseType[] { LeaseType.WRITE, LeaseType.READ }) {
			for (boolean flagUp : new boolean[] { false, true }) {
				try (JdbcLockProvider holderSide = JdbcLockProvider.builder(dataSource).tableName("slow.locks").build();
						JdbcLockProvider waiterSide = JdbcLockProvider.builder(dataSource).tableName("slow.locks").build();
						Connection gate = dataSource.getConnection();
						Statement gateStatement = gate.createStatement()) {
					waiterSide.subscribe(key()).close();
					String key = key();
					LeaseRequest holder = request(key, LeaseType.WRITE, Duration.ofSeconds(60));
					assertThat(holderSide.acquire(holder).isGranted()).isTrue();
					if (flagUp) {
						assertThat(waiterSide.acquire(request(key, waiterType, Duration.ofSeconds(60))).isGranted()).isFalse();
					}
					gateStatement.execute("SELECT pg_advisory_lock(4242)");
					long waitingBefore = lockWaiters();
					java.util.concurrent.CompletableFuture<Boolean> released = java.util.concurrent.CompletableFuture
						.supplyAsync(() -> holderSide.release(holder.ref()));
					// the release has deleted, locked the counter row, read the flag, and waits at its commit
					await().atMost(Duration.ofSeconds(10)).until(() -> lockWaiters() > waitingBefore);
					try (ReleaseSubscription subscription = waiterSide.subscribe(key, waiterType)) {
						java.util.concurrent.CompletableFuture<Boolean> acquired = java.util.concurrent.CompletableFuture
							.supplyAsync(() -> waiterSide.acquire(request(key, waiterType, Duration.ofSeconds(60))).isGranted());
						await().atMost(Duration.ofSeconds(10))
							.until(() -> acquired.isDone() || lockWaiters() > waitingBefore + 1);
						gateStatement.execute("SELECT pg_advisory_unlock(4242)");
						assertThat(released.get(10, TimeUnit.SECONDS)).isTrue();
						boolean granted = acquired.get(10, TimeUnit.SECONDS);
						assertThat(granted || subscription.await(TimeUnit.SECONDS.toNanos(5)))
							.as("the %s waiter (flag up before: %s) is granted or woken", waiterType, flagUp).isTrue();
					}
				}
			}
		}
	}

	/**
	 * Writers, readers and permit holders on one key from two provider instances ("processes"), one on a pool
	 * without autocommit: never a writer with anyone else, never more permits than the limit, every writer's
	 * token above every token granted before it and every token above every earlier writer's, and no waiter
	 * stranded (hints here are 30 s; a wait is cut at 5 s and counted). The stranded count is coarse: under
	 * constant traffic the next release covers a missed one (it stayed 0 with the flag read without its share
	 * lock); the targeted race tests above are the ones that catch a lost wake-up.
	 */
	@Test
	void mixedContentionFromTwoInstancesKeepsEveryInvariantAndStrandsNoWaiter() throws Exception {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(dataSource.getJdbcUrl());
		config.setUsername(dataSource.getUsername());
		config.setMaximumPoolSize(8);
		config.setMinimumIdle(0);
		config.setAutoCommit(false);
		String key = key();
		int threads = 8;
		int rounds = Integer.getInteger("locksmith.jdbc.mixedRounds", 60);
		Object book = new Object();
		int[] inside = new int[3]; // writers, readers, permits
		long[] maxToken = { 0 };
		long[] maxWriterToken = { 0 };
		java.util.concurrent.atomic.AtomicInteger violations = new java.util.concurrent.atomic.AtomicInteger();
		java.util.concurrent.atomic.AtomicInteger stranded = new java.util.concurrent.atomic.AtomicInteger();
		java.util.concurrent.ConcurrentLinkedQueue<Throwable> errors = new java.util.concurrent.ConcurrentLinkedQueue<>();
		try (HikariDataSource manual = new HikariDataSource(config);
				JdbcLockProvider one = JdbcLockProvider.builder(dataSource).build();
				JdbcLockProvider other = JdbcLockProvider.builder(manual).build()) {
			java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
			java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
			List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				JdbcLockProvider provider = (t % 2 == 0) ? one : other;
				int kind = t % 3;
				futures.add(pool.submit(() -> {
					start.await();
					for (int i = 0; i < rounds; i++) {
						try {
							LeaseRequest request = switch (kind) {
								case 0 -> request(key, LeaseType.WRITE, Duration.ofSeconds(30));
								case 1 -> request(key, LeaseType.READ, Duration.ofSeconds(30));
								default -> permits(key, 1 + (i % 2), 3);
							};
							long token;
							while (true) {
								try (ReleaseSubscription subscription = provider.subscribe(key, LeaseType.READ)) {
									dev.locksmith.spi.Grant grant = provider.acquire(request);
									if (grant.isGranted()) {
										token = grant.fencingToken();
										break;
									}
									long hint = (grant.retryAfter() != null) ? grant.retryAfter().toMillis() : 50;
									boolean woken = subscription.await(TimeUnit.MILLISECONDS.toNanos(Math.min(hint + 1, 5000)));
									if (!woken && hint > 5000) {
										stranded.incrementAndGet();
									}
								}
							}
							synchronized (book) {
								boolean ok = switch (kind) {
									case 0 -> inside[0] == 0 && inside[1] == 0 && inside[2] == 0 && token > maxToken[0];
									case 1 -> inside[0] == 0 && inside[2] == 0;
									default -> inside[0] == 0 && inside[1] == 0 && inside[2] + request.permits() <= 3;
								};
								if (!ok || token <= maxWriterToken[0]) {
									violations.incrementAndGet();
								}
								inside[kind] += (kind == 2) ? request.permits() : 1;
								maxToken[0] = Math.max(maxToken[0], token);
								if (kind == 0) {
									maxWriterToken[0] = token;
								}
							}
							Thread.yield();
							synchronized (book) {
								inside[kind] -= (kind == 2) ? request.permits() : 1;
							}
							if (!provider.release(request.ref())) {
								errors.add(new AssertionError("release of a held lease returned false"));
							}
						}
						catch (RuntimeException ex) {
							errors.add(ex);
						}
					}
					return null;
				}));
			}
			start.countDown();
			try {
				for (java.util.concurrent.Future<?> future : futures) {
					future.get(5, TimeUnit.MINUTES);
				}
			}
			finally {
				pool.shutdownNow();
			}
		}
		System.out.printf("[jdbc] mixed contention: %d threads x %d sections, %d stranded waits%n", threads, rounds,
				stranded.get());
		assertThat(errors).isEmpty();
		assertThat(violations.get()).as("invariant violations").isZero();
		assertThat(stranded.get()).as("waiters that missed a release").isZero();
	}

	/**
	 * A release does not wait for the key's counter row: when another transaction holds it (it may be writing
	 * the wait flag), the release notifies whatever the flag says, and returns without waiting for that
	 * transaction.
	 */
	@Test
	void releaseNotifiesWithoutWaitingWhileTheCounterRowIsLocked() throws Exception {
		try (JdbcLockProvider provider = JdbcLockProvider.builder(dataSource).build();
				Connection listener = dataSource.getConnection();
				Statement listen = listener.createStatement();
				Connection other = dataSource.getConnection()) {
			listen.execute("LISTEN locksmith_lock");
			String key = key();
			LeaseRequest lease = request(key, LeaseType.WRITE, Duration.ofSeconds(30));
			assertThat(provider.acquire(lease).isGranted()).isTrue();
			other.setAutoCommit(false);
			try (PreparedStatement lockRow = other
				.prepareStatement("SELECT 1 FROM locksmith_lock WHERE lock_key = ? AND lease_id = '' FOR UPDATE")) {
				lockRow.setString(1, key);
				lockRow.executeQuery().close();
			}
			// no denial raised the flag, so only the held row makes the release notify
			assertThat(provider.release(lease.ref())).isTrue();
			other.rollback();
			assertThat(Notifications.collect(listener, Set.of(key), 1)).containsExactly(key);
		}
	}

	/** The counter row's version and lock: changes whenever a statement writes or locks it. */
	private static String counterRowVersion(String key) throws SQLException {
		try (Connection connection = dataSource.getConnection();
				PreparedStatement statement = connection.prepareStatement(
						"SELECT xmin::text || '/' || xmax::text FROM locksmith_lock WHERE lock_key = ? AND lease_id = ''")) {
			statement.setString(1, key);
			try (ResultSet rs = statement.executeQuery()) {
				assertThat(rs.next()).isTrue();
				return rs.getString(1);
			}
		}
	}

	@Test
	void closingTheProviderStopsListeningBeforeItsConnectionGoesBackToThePool() throws Exception {
		try (HikariDataSource single = PostgresTestServer.newDatabase(1)) {
			runSchema(single, "postgresql");
			JdbcLockProvider provider = JdbcLockProvider.builder(single).build();
			String database;
			try (Connection connection = single.getConnection()) {
				database = connection.getCatalog();
			}
			try (ReleaseSubscription subscription = provider.subscribe(key())) {
				await().atMost(Duration.ofSeconds(5)).until(() -> listeningBackends(database) == 1);
			}
			provider.close();
			try (Connection connection = single.getConnection();
					Statement statement = connection.createStatement();
					ResultSet channels = statement.executeQuery("SELECT count(*) FROM pg_listening_channels()")) {
				assertThat(channels.next()).isTrue();
				assertThat(channels.getLong(1)).isZero();
			}
		}
	}

	private static Instant waitFlag(String key) throws SQLException {
		try (Connection connection = dataSource.getConnection();
				PreparedStatement statement = connection
					.prepareStatement("SELECT expires_at FROM locksmith_lock WHERE lock_key = ? AND lease_id = ''")) {
			statement.setString(1, key);
			try (ResultSet rs = statement.executeQuery()) {
				assertThat(rs.next()).as("counter row of " + key).isTrue();
				return rs.getObject(1, OffsetDateTime.class).toInstant();
			}
		}
	}

	private static long listeningBackends(String database) throws Exception {
		try (Connection admin = PostgresTestServer.adminDataSource().getConnection();
				PreparedStatement statement = admin.prepareStatement(
						"SELECT count(*) FROM pg_stat_activity WHERE datname = ? AND query LIKE 'LISTEN %'")) {
			statement.setString(1, database);
			try (ResultSet rs = statement.executeQuery()) {
				rs.next();
				return rs.getLong(1);
			}
		}
	}

	@Override
	protected long lockWaiters() throws SQLException {
		return lockWaiters(dataSource);
	}

	/** Counts the sessions of the data source's database that wait for a lock. */
	static long lockWaiters(DataSource dataSource) throws SQLException {
		String database;
		try (Connection connection = dataSource.getConnection()) {
			database = connection.getCatalog();
		}
		try (Connection admin = PostgresTestServer.adminDataSource().getConnection();
				PreparedStatement statement = admin.prepareStatement(
						"SELECT count(*) FROM pg_stat_activity WHERE datname = ? AND wait_event_type = 'Lock'")) {
			statement.setString(1, database);
			try (ResultSet rs = statement.executeQuery()) {
				rs.next();
				return rs.getLong(1);
			}
		}
	}

	@Test
	void renewalOfManyLeasesIsOneStatementThatExtendsOnlyLiveOnes() {
		try (JdbcLockProvider provider = JdbcLockProvider.builder(dataSource).build()) {
			List<Renewal> renewals = new ArrayList<>();
			for (int i = 0; i < 3000; i++) {
				LeaseRequest request = request(key(), (i % 3 == 0) ? LeaseType.READ : LeaseType.WRITE, Duration.ofSeconds(30));
				assertThat(provider.acquire(request).isGranted()).isTrue();
				renewals.add(new Renewal(request.ref(), Duration.ofSeconds(120)));
			}
			LeaseRef released = renewals.get(7).lease();
			assertThat(provider.release(released)).isTrue();
			LeaseRef wrongType = new LeaseRef(renewals.get(8).lease().key(), LeaseType.READ,
					renewals.get(8).lease().leaseId());
			renewals.add(new Renewal(wrongType, Duration.ofSeconds(120)));
			long start = System.nanoTime();
			Set<LeaseRef> extended = provider.renew(renewals);
			System.out.printf("[jdbc] renewed %d leases in one statement in %d ms%n", extended.size(),
					TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
			assertThat(extended).hasSize(2999).doesNotContain(released, wrongType);
			LeaseRef last = renewals.get(2999).lease();
			assertThat(provider.inspect(last.key()).expiresAt())
				.isAfter(provider.inspect(last.key()).lockedAt().plusSeconds(100));
		}
	}

	@Test
	void schemaQualifiedTableNameWorks() {
		execute(dataSource, "CREATE SCHEMA IF NOT EXISTS locks");
		execute(dataSource, "CREATE TABLE IF NOT EXISTS locks.my_locks (LIKE locksmith_lock INCLUDING ALL)");
		try (JdbcLockProvider custom = JdbcLockProvider.builder(dataSource).tableName("locks.my_locks").build()) {
			String key = key();
			assertThat(custom.acquire(request(key, LeaseType.WRITE, Duration.ofSeconds(30))).isGranted()).isTrue();
			assertThat(custom.inspect(key).isLocked()).isTrue();
		}
	}

}
