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
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;
import dev.locksmith.LockInfo;
import dev.locksmith.LockPage;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.provider.support.ReleaseSignals;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.spi.ReleaseSubscription;
import dev.locksmith.spi.Renewal;

/**
 * Table-mode JDBC provider: every lease is a row in one table ({@value #DEFAULT_TABLE_NAME} by default) of
 * a PostgreSQL, H2, MySQL or MariaDB database, detected from the connection.
 *
 * <p><b>How a grant works.</b> Each key has one counter row ({@code lease_id = ''}, {@code lease_type =
 * 'KEY'}) that holds the key's fencing counter. An acquisition is one short {@code READ COMMITTED}
 * transaction: one statement locks that row and increments its counter (created on first use; on PostgreSQL
 * {@code INSERT … ON CONFLICT … DO UPDATE … RETURNING}, on MySQL {@code ON DUPLICATE KEY UPDATE}), then the
 * key's live lease rows are read, and if the request fits, the lease row is inserted with the new token and
 * the transaction commits; otherwise it rolls back (the counter too). Before that transaction, a plain read
 * of the key's leases turns most attempts on a held key into a denial that takes no lock at all. (A single
 * statement cannot do the multi-row check safely: under {@code READ COMMITTED} its reads of other rows use
 * the snapshot taken before it waited for the row lock.) Every grant, extension and renewal on a key runs
 * under that one row lock (see {@link #extend} for why extensions must), and a release only deletes, so
 * grants never deadlock and never raise serialization errors, and the token
 * strictly increases per key across every lease type. The counter row stays when the key is released, so
 * tokens never repeat.
 *
 * <p>On PostgreSQL (with READ COMMITTED connections, which the provider switches to autocommit) a WRITE lease
 * skips all of that and takes one round trip: two statements sent together, which the server runs as one
 * implicit transaction.
 * The first locks the counter row ({@code INSERT … ON CONFLICT … DO UPDATE … WHERE false} creates or locks
 * it); the second, whose snapshot is taken after that lock was granted, inserts the lease and increments the
 * token only if no live lease exists, and otherwise returns the shortest remaining TTL.
 *
 * <p><b>Re-sent requests.</b> An acquisition whose lease id already has a live lease of the same type and
 * permit count on the key (the engine re-sent it after losing the reply) returns that lease's token and sets
 * its expiry to now + the re-send's TTL, under the same counter-row lock; it never takes permits or a read
 * share twice. If that lease ends before the refresh (a release or forced release commits in between), the
 * re-send is treated as a new request. A live lease of that id with another type or permit count blocks it.
 *
 * <p><b>Time.</b> Expiry is {@code expires_at > now} with the database's clock ({@code now()},
 * {@code CURRENT_TIMESTAMP}, {@code UTC_TIMESTAMP(3)}); release and extend compare the lease id and only
 * act on a live lease. Expired rows are purged by the next acquisition of the key.
 *
 * <p><b>Waiting.</b> On PostgreSQL, releases send {@code pg_notify} in the same statement and one
 * {@code LISTEN} connection per provider (opened by the first waiter) wakes waiters in every JVM. A release
 * notifies only while the key's wait flag is up: the counter row's {@code expires_at}, which a denied
 * acquisition pushes two seconds past its retry hint unless it already lasts one second past it (then the
 * denial writes nothing). A release reads the flag from the counter row's latest version, share-locked
 * without waiting (and notifies anyway when another transaction holds the row), and a flag is written only
 * under a conflicting lock and before the leases are read again, so a release committing after a denial's
 * read always sees that denial's flag (see {@link PostgresTableStatements}). A waiter subscribes
 * before the denial it sleeps on, so a release after that denial always notifies. The release commits with
 * {@code synchronous_commit} off for its own transaction, the grant synchronously; elsewhere
 * only waiters in this JVM are woken directly and the engine backs off, bounded by the holder's remaining TTL.
 *
 * <p>Connections are borrowed from the {@link DataSource} and committed by the provider itself, so a lock
 * never joins the caller's transaction. Bad input (a key, owner or metadata too long for the table's columns,
 * a TTL under 1 ms) is rejected with an {@link IllegalArgumentException} before any SQL runs; a data error
 * from the database (SQLState class 22 or 23) is reported the same way, never as an outage. Other errors
 * from the database are reported as {@link LockProviderUnavailableException} naming (a short prefix of) the
 * key. Thread-safe.
 */
public final class JdbcLockProvider implements LockProvider {

	/** The default table name. */
	public static final String DEFAULT_TABLE_NAME = "locksmith_lock";

	private final DataSource dataSource;

	private final LockTable table;

	private final JdbcDialect dialect;

	private final TableStatements statements;

	private final ReleaseSignals signals = new ReleaseSignals();

	private final @Nullable PostgresReleaseListener listener;

	private final boolean setReadCommitted;

	private JdbcLockProvider(Builder builder, JdbcDialect dialect, boolean setReadCommitted) {
		this.dataSource = builder.dataSource;
		this.setReadCommitted = setReadCommitted;
		this.table = new LockTable(builder.tableName);
		this.dialect = dialect;
		this.statements = dialect.tableStatements(this.table, !setReadCommitted);
		this.listener = (this.statements.notifyRelease() != null)
				? new PostgresReleaseListener(this.dataSource, this.table.channel(), this.signals) : null;
	}

	/**
	 * Starts a builder for a provider on {@code dataSource}.
	 * @param dataSource the database to keep the lock table in
	 * @return the builder
	 */
	public static Builder builder(DataSource dataSource) {
		Objects.requireNonNull(dataSource, "JdbcLockProvider.builder: dataSource must not be null");
		return new Builder(dataSource);
	}

	/**
	 * Returns {@code "jdbc"}.
	 * @return the provider name
	 */
	@Override
	public String name() {
		return "jdbc";
	}

	/**
	 * Returns the lock table's name.
	 * @return the table name
	 */
	public String tableName() {
		return this.table.name();
	}

	/**
	 * Returns the platform detected from the connection, as used in schema script names: {@code postgresql},
	 * {@code h2}, {@code mysql} or {@code mariadb}.
	 * @return the platform
	 */
	public String platform() {
		return this.dialect.platform();
	}

	/**
	 * Checks that the lock table exists with the expected columns.
	 * @throws IllegalStateException naming the table and the schema script when it is missing or incomplete
	 */
	public void verifySchema() {
		this.table.verify(this.dataSource, this.dialect.platform());
	}

	@Override
	public Grant acquire(LeaseRequest request) {
		LockTable.checkRequest(request, "JdbcLockProvider.acquire");
		String key = request.key();
		try (Connection connection = this.dataSource.getConnection()) {
			// like every other operation: a pool without autocommit would otherwise skip the plain read and the
			// one-round-trip grant, and every denial would lock and bump the counter row (then roll back)
			ensureAutoCommit(connection);
			String acquireWrite = this.statements.acquireWrite();
			if (acquireWrite != null && request.type() == LeaseType.WRITE) {
				return acquireWrite(connection, acquireWrite, request);
			}
			return acquireChecked(connection, request);
		}
		catch (SQLException ex) {
			throw unavailable(key, "acquire", ex);
		}
	}

	/**
	 * Acquires through a plain read (autocommit) and then a short transaction. Where releases notify
	 * (PostgreSQL), a denial is returned only from a read that also shows the key's wait flag outlasting the
	 * retry hint by half the slack, so repeated denials write nothing; otherwise the flag is raised first (its
	 * own committed {@code UPDATE}) and the leases are read again, never the other way round: a flag written
	 * after the read that saw the lease live could miss a release committing in between (see
	 * {@link PostgresTableStatements} on the release). Gives up after three rounds with a 1 ms hint.
	 */
	private Grant acquireChecked(Connection connection, LeaseRequest request) throws SQLException {
		String flagWaiter = this.statements.flagWaiter();
		for (int round = 0; round < 3; round++) {
			// Test before test-and-set: a plain read turns most attempts on a held key into a cheap denial that
			// neither takes nor waits for the key's row lock.
			LiveLeases live = readLeases(connection, request);
			long blockedForMillis = live.conflictRemainingMillis(request);
			if (blockedForMillis >= 0 && live.mineToken == 0) {
				if (flagWaiter == null || live.flagCovers(blockedForMillis)) {
					return Grant.denied(Duration.ofMillis(blockedForMillis));
				}
				raiseWaitFlag(connection, flagWaiter, request.key(), blockedForMillis);
				continue;
			}
			// a denial rolls back, the counter's increment too
			Grant grant = inTransaction(connection, () -> acquireInTransaction(connection, request), Grant::isGranted);
			Duration hint = grant.retryAfter();
			if (grant.isGranted() || flagWaiter == null || hint == null) {
				return grant;
			}
			// denied under the key lock, which is gone now: raise the flag, then read again
			raiseWaitFlag(connection, flagWaiter, request.key(), hint.toMillis());
		}
		return Grant.denied(Duration.ofMillis(1));
	}

	/**
	 * Raises the key's wait flag (the expiry column of its counter row) to outlast a retry hint by the slack,
	 * so that releases of the key send {@code pg_notify} while a waiter may be asleep; commits before the
	 * caller reads the leases again (autocommit).
	 */
	private void raiseWaitFlag(Connection connection, String sql, String key, long hintMillis) throws SQLException {
		long flagMillis = hintMillis + PostgresTableStatements.WAIT_FLAG_SLACK_MILLIS;
		autoCommitted(connection, () -> {
			try (PreparedStatement statement = connection.prepareStatement(sql)) {
				statement.setLong(1, flagMillis);
				statement.setString(2, key);
				statement.setLong(3, flagMillis);
				return statement.executeUpdate();
			}
		});
	}

	/**
	 * PostgreSQL, READ COMMITTED, autocommit: a WRITE lease in one round trip. The two statements of
	 * {@link PostgresTableStatements#acquireWrite()} travel in one message sequence with one {@code Sync}, so they run as one implicit
	 * transaction: the first locks the key's counter row, and the second, with a snapshot taken after that
	 * lock was granted, checks the live leases and only if there are none increments the token, purges
	 * expired rows and inserts the lease. It returns the token, or null and the shortest remaining TTL.
	 */
	private static Grant acquireWrite(Connection connection, String sql, LeaseRequest request) throws SQLException {
		String key = request.key();
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			long ttl = request.ttl().toMillis();
			String leaseId = request.leaseId();
			// the conditional lock
			statement.setString(1, key);
			statement.setString(2, key);
			statement.setString(3, key);
			statement.setString(4, key);
			statement.setString(5, leaseId);
			// the grant
			statement.setLong(6, ttl);
			statement.setString(7, key);
			statement.setString(8, leaseId);
			statement.setString(9, key);
			statement.setString(10, key);
			statement.setString(11, key);
			statement.setString(12, leaseId);
			statement.setString(13, key);
			statement.setString(14, leaseId);
			statement.setString(15, request.owner());
			statement.setString(16, MetadataCodec.encode(request.metadata()));
			statement.setLong(17, ttl);
			statement.setString(18, key);
			statement.setString(19, key);
			statement.setString(20, leaseId);
			boolean resultSet = statement.execute();
			while (!resultSet && statement.getUpdateCount() != -1) {
				resultSet = statement.getMoreResults();
			}
			try (ResultSet rs = statement.getResultSet()) {
				if (rs == null || !rs.next()) {
					throw new SQLException("acquire returned no result");
				}
				long token = rs.getLong(1);
				if (rs.wasNull()) {
					return Grant.denied(Duration.ofMillis(Math.max(1, rs.getLong(2))));
				}
				return Grant.granted(token);
			}
		}
	}

	private Grant acquireInTransaction(Connection connection, LeaseRequest request) throws SQLException {
		String key = request.key();
		long token = this.statements.bumpKeyCounter(connection, key);
		LiveLeases live = readLeases(connection, request);
		if (live.mineToken != 0) {
			// a re-sent request (same lease id): keep the lease and its token, refresh the expiry (the counter
			// bump above is committed too, which only leaves a gap in the key's tokens)
			try (PreparedStatement refresh = connection.prepareStatement(this.statements.extend())) {
				bindExtend(refresh, 1, request.ref(), request.ttl());
				if (refresh.executeUpdate() > 0) {
					return Grant.granted(live.mineToken);
				}
			}
			// the lease ended after the read (released by id or force-released by a session that does not take
			// the key lock, or expired by a per-statement clock): no row backs the old token, so the re-send is a
			// new request; read again (a new statement sees what that session committed)
			live = readLeases(connection, request);
			if (live.mineToken != 0) {
				throw new SQLException("lease of the re-sent request neither refreshed nor ended");
			}
		}
		long blockedForMillis = live.conflictRemainingMillis(request);
		if (blockedForMillis >= 0) {
			return Grant.denied(Duration.ofMillis(blockedForMillis));
		}
		if (live.anyExpired) {
			try (PreparedStatement purge = connection.prepareStatement(this.statements.purgeExpired())) {
				purge.setString(1, key);
				purge.executeUpdate();
			}
		}
		try (PreparedStatement insert = connection.prepareStatement(this.statements.insertLease())) {
			insert.setString(1, key);
			insert.setString(2, request.leaseId());
			insert.setString(3, request.type().name());
			insert.setString(4, request.owner());
			insert.setInt(5, (request.type() == LeaseType.PERMITS) ? request.permits() : 1);
			insert.setString(6, MetadataCodec.encode(request.metadata()));
			insert.setLong(7, token);
			insert.setLong(8, request.ttl().toMillis());
			insert.executeUpdate();
		}
		return Grant.granted(token);
	}

	/**
	 * Reads the key's lease rows; a live lease with the request's lease id, type and permit count (the request
	 * was sent before) is not counted but reported by its token; one of another type or count blocks it.
	 */
	private LiveLeases readLeases(Connection connection, LeaseRequest request) throws SQLException {
		LiveLeases live = new LiveLeases();
		try (PreparedStatement select = connection.prepareStatement(this.statements.selectLeases())) {
			select.setString(1, request.key());
			try (ResultSet rs = select.executeQuery()) {
				while (rs.next()) {
					Instant expiresAt = this.statements.readInstant(rs, "expires_at");
					Instant now = this.statements.readInstant(rs, "db_now");
					long remaining = Duration.between(now, expiresAt).toMillis();
					if (!expiresAt.isAfter(now)) {
						live.anyExpired = true;
						continue;
					}
					if (this.statements.flagWaiter() != null) {
						OffsetDateTime flag = rs.getObject("wait_flag", OffsetDateTime.class);
						if (flag != null) {
							live.flagRemainingMillis = Duration.between(now, flag.toInstant()).toMillis();
						}
					}
					LeaseType type = LeaseType.valueOf(rs.getString("lease_type"));
					int permits = rs.getInt("permits");
					if (request.leaseId().equals(rs.getString("lease_id"))) {
						if (type == request.type() && (type != LeaseType.PERMITS || permits == request.permits())) {
							live.mineToken = rs.getLong("fencing_token");
						}
						else {
							// the lease id holds a lease of another type or permit count: not a re-send of it
							live.addBlocker(Math.max(1, remaining));
						}
						continue;
					}
					live.add(type, permits, Math.max(1, remaining));
				}
			}
		}
		return live;
	}

	@Override
	public boolean release(LeaseRef lease) {
		String key = LockTable.checkKey(lease.key(), "JdbcLockProvider.release");
		try (Connection connection = this.dataSource.getConnection()) {
			boolean released = autoCommitted(connection, () -> {
				try (PreparedStatement statement = connection.prepareStatement(this.statements.release())) {
					statement.setString(1, key);
					statement.setString(2, lease.leaseId());
					statement.setString(3, lease.type().name());
					if (!this.statements.releaseNotifies()) {
						return statement.executeUpdate() > 0;
					}
					statement.setString(4, key);
					statement.setString(5, this.table.channel());
					try (ResultSet rs = statement.executeQuery()) {
						return rs.next() && rs.getLong(1) > 0;
					}
				}
			});
			if (released && !isListening()) {
				// with LISTEN active, the notification itself wakes local waiters (once, not twice)
				this.signals.signal(key);
			}
			return released;
		}
		catch (SQLException ex) {
			throw unavailable(key, "release", ex);
		}
	}

	@Override
	public boolean reducePermits(LeaseRef lease, int permits) {
		LockProvider.checkReducePermits("JdbcLockProvider.reducePermits", lease, permits);
		String key = LockTable.checkKey(lease.key(), "JdbcLockProvider.reducePermits");
		try (Connection connection = this.dataSource.getConnection()) {
			boolean live = autoCommitted(connection, () -> {
				try (PreparedStatement statement = connection.prepareStatement(this.statements.reducePermits())) {
					statement.setInt(1, permits);
					statement.setInt(2, permits);
					statement.setString(3, key);
					statement.setString(4, lease.leaseId());
					return statement.executeUpdate() > 0;
				}
			});
			if (live) {
				// permits may have come free: wake waiters here and, with notifications, in other processes
				wakeWaiters(connection, key);
			}
			return live;
		}
		catch (SQLException ex) {
			throw unavailable(key, "reducePermits", ex);
		}
	}

	/**
	 * Wakes the key's waiters: in other processes by a notification where the database has them, here by a
	 * signal unless the notification itself reaches this provider's listener.
	 */
	private void wakeWaiters(Connection connection, String key) throws SQLException {
		String notifyRelease = this.statements.notifyRelease();
		if (notifyRelease != null) {
			try (PreparedStatement notify = connection.prepareStatement(notifyRelease)) {
				notify.setString(1, this.table.channel());
				notify.setString(2, key);
				notify.executeQuery().close();
			}
		}
		if (!isListening()) {
			this.signals.signal(key);
		}
	}

	/**
	 * Extends a live lease under its key's counter-row lock, like a grant.
	 *
	 * <p><b>Why the counter-row lock.</b> Under {@code READ COMMITTED} each statement reads a snapshot taken
	 * when it starts, and an {@code UPDATE}/{@code DELETE} that finds its row locked waits and then re-checks
	 * only that row's new version (PostgreSQL's EvalPlanQual). Without the key lock an extension whose
	 * {@code now()} is taken just before the lease's expiry can commit just after it, while a grant that took
	 * its snapshot in between saw the lease expired and inserted its own; the grant's purge {@code DELETE} then
	 * waits on the extended row, re-checks it, finds it live and keeps it: two live leases. With the lock, the
	 * extension and every grant on the key are serialised. If the extension locks first, the grant's lease
	 * read (a statement whose snapshot is taken after the grant got the lock) sees the new expiry and denies.
	 * If the grant locks first, it sees the lease expired and, when it grants, deletes every expired lease row
	 * of the key in the same transaction; the extension's {@code UPDATE} (its snapshot, too, is taken after it
	 * got the lock) then finds no row and returns {@code false}. An extension whose {@code now()} was taken
	 * before it waited may still extend a lease that expired while it waited, but only if no grant happened in
	 * between (a grant would have deleted it), so no conflicting lease can be live at the same time.
	 */
	@Override
	public boolean extend(LeaseRef lease, Duration ttl) {
		checkTtl(ttl, "extend");
		LockTable.checkKey(lease.key(), "JdbcLockProvider.extend");
		try (Connection connection = this.dataSource.getConnection()) {
			ensureAutoCommit(connection);
			String lockAndExtend = this.statements.lockAndExtend();
			if (lockAndExtend != null) {
				// two statements, one implicit transaction (one Sync): the lock is held until the update commits
				try (PreparedStatement statement = connection.prepareStatement(lockAndExtend)) {
					statement.setString(1, lease.key());
					bindExtend(statement, 2, lease, ttl);
					return lastUpdateCount(statement) > 0;
				}
			}
			return inTransaction(connection, () -> {
				lockKeyRows(connection, List.of(lease.key()));
				try (PreparedStatement statement = connection.prepareStatement(this.statements.extend())) {
					bindExtend(statement, 1, lease, ttl);
					return statement.executeUpdate() > 0;
				}
			}, (extended) -> true);
		}
		catch (SQLException ex) {
			throw unavailable(lease.key(), "extend", ex);
		}
	}

	/**
	 * Extends all given leases in one transaction, under their keys' counter-row locks (taken in key order, so
	 * that two renewals cannot deadlock; see {@link #extend}): on PostgreSQL in one round trip with a single
	 * {@code UPDATE … FROM unnest(…)} statement, however many leases there are; elsewhere with one JDBC batch
	 * of per-lease updates.
	 */
	@Override
	public Set<LeaseRef> renew(List<Renewal> renewals) {
		Set<LeaseRef> extended = new HashSet<>();
		if (renewals.isEmpty()) {
			return extended;
		}
		for (Renewal renewal : renewals) {
			checkTtl(renewal.ttl(), "renew");
			LockTable.checkKey(renewal.lease().key(), "JdbcLockProvider.renew");
		}
		String what = renewals.get(0).lease().key();
		try (Connection connection = this.dataSource.getConnection()) {
			ensureAutoCommit(connection);
			String renewAll = this.statements.renewAll();
			if (renewAll != null) {
				return renewAll(connection, renewAll, renewals);
			}
			int[] counts = inTransaction(connection, () -> {
				lockKeyRows(connection, renewals.stream().map((renewal) -> renewal.lease().key()).toList());
				try (PreparedStatement statement = connection.prepareStatement(this.statements.extend())) {
					for (Renewal renewal : renewals) {
						bindExtend(statement, 1, renewal.lease(), renewal.ttl());
						statement.addBatch();
					}
					return statement.executeBatch();
				}
			}, (batch) -> true);
			for (int i = 0; i < renewals.size(); i++) {
				LeaseRef lease = renewals.get(i).lease();
				int count = (i < counts.length) ? counts[i] : Statement.SUCCESS_NO_INFO;
				// a driver that does not report per-statement counts: ask again, one lease at a time
				if (count > 0 || (count == Statement.SUCCESS_NO_INFO && extend(lease, renewals.get(i).ttl()))) {
					extended.add(lease);
				}
			}
			return extended;
		}
		catch (SQLException ex) {
			throw unavailable(what, "renew " + renewals.size() + " leases, the first on", ex);
		}
	}

	private static Set<LeaseRef> renewAll(Connection connection, String sql, List<Renewal> renewals)
			throws SQLException {
		int n = renewals.size();
		String[] keys = new String[n];
		String[] leaseIds = new String[n];
		String[] types = new String[n];
		Long[] ttls = new Long[n];
		for (int i = 0; i < n; i++) {
			LeaseRef lease = renewals.get(i).lease();
			keys[i] = lease.key();
			leaseIds[i] = lease.leaseId();
			types[i] = lease.type().name();
			ttls[i] = renewals.get(i).ttl().toMillis();
		}
		Set<LeaseRef> extended = new HashSet<>();
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setArray(1, connection.createArrayOf("text", keys));
			statement.setArray(2, connection.createArrayOf("text", keys));
			statement.setArray(3, connection.createArrayOf("text", leaseIds));
			statement.setArray(4, connection.createArrayOf("text", types));
			statement.setArray(5, connection.createArrayOf("bigint", ttls));
			// first result: the locked counter rows; second: the extended leases
			statement.execute();
			statement.getResultSet().close();
			if (!statement.getMoreResults()) {
				throw new SQLException("renewal returned no result");
			}
			try (ResultSet rs = statement.getResultSet()) {
				while (rs.next()) {
					extended.add(new LeaseRef(rs.getString(1), LeaseType.valueOf(rs.getString(3)), rs.getString(2)));
				}
			}
		}
		return extended;
	}

	/**
	 * Locks the counter rows of the keys inside the current transaction, in one order for every instance, so
	 * that none waits for another in a cycle. On PostgreSQL with one statement, in the database's byte order:
	 * the statement PostgreSQL's one-statement renewal starts with (a Java order matched it only in UTF-8
	 * databases and deadlocked against it in, for example, WIN1252). Elsewhere one by one in code-point order
	 * (Java's {@code String} order, by UTF-16 units, differs from it above U+FFFF).
	 */
	private void lockKeyRows(Connection connection, List<String> keys) throws SQLException {
		String inOneStatement = this.statements.lockKeyRows();
		if (inOneStatement != null) {
			try (PreparedStatement statement = connection.prepareStatement(inOneStatement)) {
				statement.setArray(1, connection.createArrayOf("text", keys.toArray(String[]::new)));
				statement.executeQuery().close();
			}
			return;
		}
		Set<String> ordered = new TreeSet<>(JdbcLockProvider::compareCodePoints);
		ordered.addAll(keys);
		try (PreparedStatement statement = connection.prepareStatement(this.statements.lockKeyRow())) {
			for (String key : ordered) {
				statement.setString(1, key);
				statement.executeQuery().close();
			}
		}
	}

	/**
	 * Compares by Unicode code points, which is the byte order of UTF-8.
	 * @param x one string
	 * @param y the other
	 * @return negative, zero or positive as {@code x} sorts before, with or after {@code y}
	 */
	static int compareCodePoints(String x, String y) {
		int i = 0;
		int j = 0;
		while (i < x.length() && j < y.length()) {
			int a = x.codePointAt(i);
			int b = y.codePointAt(j);
			if (a != b) {
				return Integer.compare(a, b);
			}
			i += Character.charCount(a);
			j += Character.charCount(b);
		}
		return Integer.compare(x.length() - i, y.length() - j);
	}

	/** Runs the statement and returns the update count of its last statement. */
	private static int lastUpdateCount(PreparedStatement statement) throws SQLException {
		int updated = -1;
		boolean resultSet = statement.execute();
		while (true) {
			if (resultSet) {
				statement.getResultSet().close();
			}
			else {
				int count = statement.getUpdateCount();
				if (count == -1) {
					return updated;
				}
				updated = count;
			}
			resultSet = statement.getMoreResults();
		}
	}

	/**
	 * Runs {@code work} in one {@code READ COMMITTED} transaction on the connection, commits it if
	 * {@code commit} accepts the result and rolls it back otherwise or if the work fails; restores the
	 * connection's autocommit mode and isolation.
	 */
	private <T> T inTransaction(Connection connection, SqlWork<T> work, Predicate<T> commit) throws SQLException {
		boolean autoCommit = connection.getAutoCommit();
		int isolation = this.setReadCommitted ? connection.getTransactionIsolation() : Connection.TRANSACTION_NONE;
		if (this.setReadCommitted) {
			connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
		}
		connection.setAutoCommit(false);
		try {
			T result = work.run();
			if (commit.test(result)) {
				connection.commit();
			}
			else {
				connection.rollback();
			}
			return result;
		}
		catch (SQLException | RuntimeException ex) {
			rollbackQuietly(connection, ex);
			throw ex;
		}
		finally {
			connection.setAutoCommit(autoCommit);
			if (this.setReadCommitted) {
				connection.setTransactionIsolation(isolation);
			}
		}
	}

	/**
	 * Runs writes that need no key lock: directly in autocommit mode, or, when the pool's connections are not
	 * {@code READ COMMITTED}, in a {@code READ COMMITTED} transaction (under PostgreSQL's {@code REPEATABLE READ}
	 * or {@code SERIALIZABLE}, a write that meets a concurrent update of its row fails with a serialization
	 * error instead of waiting and re-checking the row).
	 */
	private <T> T autoCommitted(Connection connection, SqlWork<T> work) throws SQLException {
		ensureAutoCommit(connection);
		return this.setReadCommitted ? inTransaction(connection, work, (result) -> true) : work.run();
	}

	/** Work on a connection that may fail with an {@link SQLException}. */
	@FunctionalInterface
	private interface SqlWork<T> {

		T run() throws SQLException;

	}

	private static void bindExtend(PreparedStatement statement, int first, LeaseRef lease, Duration ttl)
			throws SQLException {
		statement.setLong(first, ttl.toMillis());
		statement.setString(first + 1, lease.key());
		statement.setString(first + 2, lease.leaseId());
		statement.setString(first + 3, lease.type().name());
	}

	@Override
	public LockInfo inspect(String key) {
		LockTable.checkKey(key, "JdbcLockProvider.inspect");
		try (Connection connection = this.dataSource.getConnection()) {
			ensureAutoCommit(connection);
			return inspect(connection, key);
		}
		catch (SQLException ex) {
			throw unavailable(key, "inspect", ex);
		}
	}

	private LockInfo inspect(Connection connection, String key) throws SQLException {
		List<LeaseInfo> leases = new ArrayList<>();
		try (PreparedStatement statement = connection.prepareStatement(this.statements.inspect())) {
			statement.setString(1, key);
			try (ResultSet rs = statement.executeQuery()) {
				while (rs.next()) {
					leases.add(LockTable.readLease(rs, this.statements::readInstant));
				}
			}
		}
		return LockInfo.of(key, leases);
	}

	@Override
	public LockPage list(String keyPrefix, int offset, int limit) {
		if (offset < 0 || limit < 0) {
			throw new IllegalArgumentException(
					"JdbcLockProvider.list: offset and limit must not be negative, got " + offset + " and " + limit);
		}
		LockTable.checkKey(keyPrefix, "JdbcLockProvider.list (key prefix)");
		String pattern = keyPrefix.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%";
		try (Connection connection = this.dataSource.getConnection()) {
			ensureAutoCommit(connection);
			long total;
			try (PreparedStatement count = connection.prepareStatement(this.statements.listCount())) {
				count.setString(1, pattern);
				try (ResultSet rs = count.executeQuery()) {
					rs.next();
					total = rs.getLong(1);
				}
			}
			List<String> keys = new ArrayList<>();
			try (PreparedStatement page = connection.prepareStatement(this.statements.listPage())) {
				page.setString(1, pattern);
				page.setInt(2, limit);
				page.setInt(3, offset);
				try (ResultSet rs = page.executeQuery()) {
					while (rs.next()) {
						keys.add(rs.getString(1));
					}
				}
			}
			List<LockInfo> locks = new ArrayList<>();
			for (String key : keys) {
				LockInfo info = inspect(connection, key);
				if (info.isLocked()) {
					locks.add(info);
				}
			}
			return new LockPage(locks, total);
		}
		catch (SQLException ex) {
			throw unavailable(keyPrefix + "*", "list", ex);
		}
	}

	/**
	 * Deletes every lease row of the key (the counter row stays, so fencing tokens keep increasing) in one
	 * transaction under the key's counter-row lock, and wakes waiters.
	 */
	@Override
	public boolean forceRelease(String key) {
		LockTable.checkKey(key, "JdbcLockProvider.forceRelease");
		try (Connection connection = this.dataSource.getConnection()) {
			ensureAutoCommit(connection);
			// under the key's counter-row lock, like grants, extensions and renewals: a renewal updating the
			// key's lease rows in its own order while this deletes them in another would deadlock
			int live = inTransaction(connection, () -> {
				lockKeyRows(connection, List.of(key));
				int deleted;
				try (PreparedStatement statement = connection.prepareStatement(this.statements.forceReleaseLive())) {
					statement.setString(1, key);
					deleted = statement.executeUpdate();
				}
				try (PreparedStatement statement = connection.prepareStatement(this.statements.forceReleaseAll())) {
					statement.setString(1, key);
					statement.executeUpdate();
				}
				return deleted;
			}, (deleted) -> true);
			if (live > 0) {
				wakeWaiters(connection, key);
			}
			return live > 0;
		}
		catch (SQLException ex) {
			throw unavailable(key, "force-release", ex);
		}
	}

	/**
	 * Returns {@code true} on PostgreSQL ({@code LISTEN/NOTIFY}), {@code false} elsewhere.
	 */
	@Override
	public boolean notifiesReleases() {
		return this.listener != null;
	}

	@Override
	public ReleaseSubscription subscribe(String key) {
		return subscribe(key, LeaseType.READ);
	}

	/**
	 * Subscribes through {@link ReleaseSignals}: a release wakes every shared waiter but one exclusive
	 * waiter. On PostgreSQL the first subscription starts the provider's {@code LISTEN} connection.
	 */
	@Override
	public ReleaseSubscription subscribe(String key, LeaseType type) {
		PostgresReleaseListener pgListener = this.listener;
		if (pgListener != null) {
			pgListener.ensureStarted();
		}
		return this.signals.subscribe(key, type);
	}

	private boolean isListening() {
		PostgresReleaseListener pgListener = this.listener;
		return pgListener != null && pgListener.isListening();
	}

	@Override
	public void ping() {
		try (Connection connection = this.dataSource.getConnection();
				Statement statement = connection.createStatement()) {
			statement.executeQuery("SELECT COUNT(*) FROM " + this.table.name() + " WHERE 1 = 0").close();
		}
		catch (SQLException ex) {
			throw unavailable("ping", "ping", ex);
		}
	}

	/**
	 * Stops the {@code LISTEN} connection, if any. Leases stay in the table until released or expired.
	 */
	@Override
	public void close() {
		if (this.listener != null) {
			this.listener.close();
		}
	}

	/** A data error becomes an {@link IllegalArgumentException}, anything else an unavailable backend. */
	private RuntimeException unavailable(String key, String operation, SQLException ex) {
		return JdbcErrors.translate("JDBC lock provider (table " + this.table.name() + ")", operation, key, ex);
	}

	private static void checkTtl(Duration ttl, String method) {
		LockTable.checkTtl(ttl, "JdbcLockProvider." + method);
	}

	private static void ensureAutoCommit(Connection connection) throws SQLException {
		if (!connection.getAutoCommit()) {
			connection.setAutoCommit(true);
		}
	}

	private static void rollbackQuietly(Connection connection, Exception original) {
		try {
			connection.rollback();
		}
		catch (SQLException ex) {
			original.addSuppressed(ex);
		}
	}

	/**
	 * Builds a {@link JdbcLockProvider}.
	 */
	public static final class Builder {

		private final DataSource dataSource;

		private String tableName = DEFAULT_TABLE_NAME;

		private boolean verifySchema = true;

		private Builder(DataSource dataSource) {
			this.dataSource = dataSource;
		}

		/**
		 * Sets the lock table's name (default {@value JdbcLockProvider#DEFAULT_TABLE_NAME}); may be qualified
		 * with a schema ({@code locks.locksmith_lock}).
		 * @param tableName the table name
		 * @return this builder
		 * @throws IllegalArgumentException if the name is not a plain SQL identifier
		 */
		public Builder tableName(String tableName) {
			this.tableName = LockTable.checkIdentifier(tableName, "JdbcLockProvider.Builder.tableName");
			return this;
		}

		/**
		 * Sets whether {@link #build()} checks that the lock table exists and fails fast when it does not
		 * (default {@code true}).
		 * @param verifySchema whether to check the table on build
		 * @return this builder
		 */
		public Builder verifySchema(boolean verifySchema) {
			this.verifySchema = verifySchema;
			return this;
		}

		/**
		 * Detects the database from a connection and builds the provider.
		 * @return the provider
		 * @throws IllegalStateException if the database cannot be reached or is not supported, or (with
		 * {@link #verifySchema(boolean)}) the lock table is missing
		 */
		public JdbcLockProvider build() {
			JdbcDialect dialect;
			boolean setReadCommitted;
			try (Connection connection = this.dataSource.getConnection()) {
				dialect = JdbcDialect.detect(connection.getMetaData());
				// Grants rely on READ COMMITTED (no serialization errors); set it per acquisition only when the
				// pool's connections default to something else (MySQL's REPEATABLE READ, a SERIALIZABLE default).
				setReadCommitted = connection.getTransactionIsolation() != Connection.TRANSACTION_READ_COMMITTED;
			}
			catch (SQLException ex) {
				throw new IllegalStateException(
						"JdbcLockProvider: cannot open a connection to detect the database: " + ex.getMessage(), ex);
			}
			JdbcLockProvider provider = new JdbcLockProvider(this, dialect, setReadCommitted);
			if (this.verifySchema) {
				provider.verifySchema();
			}
			return provider;
		}

	}

}
