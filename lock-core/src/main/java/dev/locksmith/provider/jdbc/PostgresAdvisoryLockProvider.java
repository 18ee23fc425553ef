package dev.locksmith.provider.jdbc;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;
import dev.locksmith.LockInfo;
import dev.locksmith.LockPage;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.KeyText;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.spi.ReleaseSignals;
import dev.locksmith.spi.ReleaseSubscription;

/**
 * Advisory-mode provider, PostgreSQL only: each lease is a set of session-level advisory locks held on its
 * own connection, borrowed from the {@link DataSource} and pinned until the lease ends.
 *
 * <p><b>Lock ids.</b> A key is hashed (SHA-256, first 64 bits) together with the configurable namespace into
 * a main lock id and three auxiliary ids. A {@link LeaseType#WRITE WRITE} lease takes the main id exclusively
 * ({@code pg_try_advisory_lock}); {@link LeaseType#READ READ} and {@link LeaseType#PERMITS PERMITS} take it
 * shared ({@code pg_try_advisory_lock_shared}), so a writer excludes both. Readers and permit holders also
 * announce themselves with a shared lock on a per-kind id and then check, in {@code pg_locks}, that no holder of
 * the other kind exists (announce, then check: two kinds can never both pass). A semaphore of limit {@code N}
 * is {@code N} advisory <em>slots</em>: a permit lease takes as many free slots exclusively as it has permits.
 *
 * <p><b>Fencing tokens</b> come from a sequence ({@value #DEFAULT_SEQUENCE_NAME}, shipped in
 * {@code schema-postgresql.sql}; created with {@code CREATE SEQUENCE IF NOT EXISTS} on build when missing),
 * drawn on the pinned connection once the locks were granted (for a WRITE lease in the same statement that
 * takes the lock and records the lease, so a write acquisition is one round trip and its release another), so
 * they strictly increase per key. The grant commits synchronously (the token's sequence must survive a crash);
 * the release commits asynchronously, since a record only counts while its advisory lock is held.
 *
 * <p><b>TTL and loss.</b> Advisory locks have no expiry of their own. A lease ends when it is released, when
 * its session dies (process crash, network loss, {@code pg_terminate_backend}) or when its TTL runs out
 * without an extension; the TTL is enforced by the holding provider, which then unlocks the session. A
 * periodic check (every {@link Builder#livenessCheckInterval(Duration) livenessCheckInterval}, default 1 s) of
 * each pinned connection reports a dead session at once through the
 * {@link #setLeaseLossListener lease-loss listener}, without waiting for any TTL. {@code extend} succeeds while
 * the session lives. {@link #forceRelease} terminates the holders' sessions (needs the right to signal them).
 *
 * <p><b>Waiting.</b> A release sends {@code pg_notify}, received by one {@code LISTEN} connection per provider,
 * only while the key's wait flag is up: the {@code expires_at} of the key's row ({@code lease_id = ''}), which
 * a denied acquisition pushes {@value #WAIT_FLAG_MILLIS} ms ahead (in the same statement for a WRITE lease;
 * only when less than half of that is left, so repeated denials rarely write). A denied waiter retries within
 * the engine's backoff (at most 1.1 s by default), and a waiter subscribes before the denial it sleeps on, so
 * a release after that denial notifies; a release nobody waits for sends no {@code NOTIFY}.
 *
 * <p><b>Inspection.</b> Holder, token, metadata and times are recorded in the lock table ({@code
 * locksmith_lock}, the same script as table mode) for {@link #inspect} and {@link #list}; a recorded lease
 * only counts as live while its advisory lock is actually held. Do not use table mode and advisory mode on
 * the same keys: they do not exclude each other.
 *
 * <p>Every held lease uses one pooled connection; size the pool for the number of locks held at once plus the
 * application's own use. Thread-safe.
 */
public final class PostgresAdvisoryLockProvider implements LockProvider {

	/**
	 * How far ahead a denied acquisition sets the key's wait flag: long enough to cover the engine's default
	 * backoff between a waiter's attempts (at most 1.1 s), which is what a denial without a retry hint leads
	 * to. A waiter whose backoff is longer only misses the notification and retries on its own schedule.
	 */
	public static final long WAIT_FLAG_MILLIS = 5_000;

	/** The default namespace mixed into every key's hash ({@code "Locksmit"} in ASCII). */
	public static final long DEFAULT_NAMESPACE = 0x4c6f636b736d6974L;

	/** The default fencing-token sequence. */
	public static final String DEFAULT_SEQUENCE_NAME = "locksmith_fencing_seq";

	private static final Logger logger = LoggerFactory.getLogger(PostgresAdvisoryLockProvider.class);

	private static final String HELD_BY_OTHERS = "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
			+ " AND granted AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
			+ " AND classid::bigint = ? AND objid::bigint = ? AND pid <> pg_backend_pid())";

	private final DataSource dataSource;

	private final String table;

	private final String sequence;

	private final long namespace;

	private final String channel;

	/** A WRITE grant: lock, token, record and (on denial) the wait flag in one statement. */
	private final String writeGrantSql;

	/** A held lease's release on its pinned session: record, unlock, and notify if the key is flagged. */
	private final String releaseSql;

	/** Raises a key's wait flag after a denied READ or PERMITS attempt. */
	private final String flagWaiterSql;

	private final ReleaseSignals signals = new ReleaseSignals();

	private final PostgresReleaseListener listener;

	private final ScheduledExecutorService scheduler;

	private final ConcurrentHashMap<String, HeldLease> leases = new ConcurrentHashMap<>();

	private volatile Consumer<LeaseRef> lossListener = (lease) -> {
	};

	private PostgresAdvisoryLockProvider(Builder builder) {
		this.dataSource = builder.dataSource;
		this.table = builder.tableName;
		this.sequence = builder.sequenceName;
		this.namespace = builder.namespace;
		this.channel = this.table.toLowerCase(Locale.ROOT).replace('.', '_');
		this.listener = new PostgresReleaseListener(this.dataSource, this.channel, this.signals);
		this.writeGrantSql = "WITH grant_ AS (SELECT CASE WHEN pg_try_advisory_lock(?) THEN nextval('" + this.sequence
				+ "') ELSE 0 END AS token),"
				+ " stale AS (DELETE FROM " + this.table + " WHERE lock_key = ? AND lease_id <> ''"
				+ " AND (SELECT token FROM grant_) > 0),"
				+ " recorded AS (INSERT INTO " + this.table + " (" + LockTable.COLUMNS + ") SELECT ?, ?, ?, ?, 1, ?, token, now(),"
				+ " now() + CAST(? AS BIGINT) * INTERVAL '1 millisecond' FROM grant_ WHERE token > 0),"
				+ " flagged AS (" + flagWaiterSql("(SELECT token FROM grant_) = 0") + ")"
				// a denial only (maybe) raises the wait flag: it need not wait for the WAL flush
				+ " SELECT token, set_config('synchronous_commit', CASE WHEN token > 0 THEN"
				+ " current_setting('synchronous_commit') ELSE 'off' END, true) FROM grant_";
		// The record's deletion need not wait for the WAL flush: after a crash the session and its locks are
		// gone too, and a record counts as live only while its advisory lock is held.
		this.releaseSql = "WITH gone AS (DELETE FROM " + this.table + " WHERE lock_key = ? AND lease_id = ?),"
				+ " notified AS (SELECT pg_notify(?, ?) WHERE EXISTS (SELECT 1 FROM " + this.table
				+ " WHERE lock_key = ? AND lease_id = '' AND expires_at > now()))"
				+ " SELECT pg_advisory_unlock_all(), (SELECT count(*) FROM notified),"
				+ " set_config('synchronous_commit', 'off', true)";
		this.flagWaiterSql = flagWaiterSql("true");
		this.scheduler = Executors.newSingleThreadScheduledExecutor((runnable) -> {
			Thread thread = new Thread(runnable, "locksmith-pg-advisory");
			thread.setDaemon(true);
			return thread;
		});
		long interval = builder.livenessCheckInterval.toMillis();
		this.scheduler.scheduleWithFixedDelay(this::checkSessions, interval, interval, TimeUnit.MILLISECONDS);
	}

	/**
	 * Starts a builder for a provider on {@code dataSource}, which must be a PostgreSQL database.
	 * @param dataSource the database
	 * @return the builder
	 */
	public static Builder builder(DataSource dataSource) {
		Objects.requireNonNull(dataSource, "PostgresAdvisoryLockProvider.builder: dataSource must not be null");
		return new Builder(dataSource);
	}

	/**
	 * Returns {@code "jdbc-advisory"}.
	 * @return the provider name
	 */
	@Override
	public String name() {
		return "jdbc-advisory";
	}

	/**
	 * Returns the 64-bit advisory lock id of a key's main lock in this provider's namespace (what
	 * {@code pg_locks} shows as {@code classid << 32 | objid}).
	 * @param key the backend key
	 * @return the lock id
	 */
	public long lockId(String key) {
		return hash(key, 'L');
	}

	@Override
	public Grant acquire(LeaseRequest request) {
		LockTable.checkRequest(request, "PostgresAdvisoryLockProvider.acquire");
		String key = request.key();
		HeldLease sent = this.leases.get(request.leaseId());
		if (sent != null && sent.ref.equals(request.ref()) && extend(request.ref(), request.ttl())) {
			// a re-sent request (same lease id): the lease is held; its TTL now runs from this request
			return Grant.granted(sent.token);
		}
		Connection connection;
		try {
			connection = this.dataSource.getConnection();
		}
		catch (SQLException ex) {
			throw unavailable(key, "acquire", ex);
		}
		boolean pinned = false;
		try {
			if (!connection.getAutoCommit()) {
				connection.setAutoCommit(true);
			}
			long token = (request.type() == LeaseType.WRITE) ? tryWriteAndRecord(connection, request)
					: tryShared(connection, request);
			if (token <= 0) {
				return Grant.denied(null);
			}
			HeldLease lease = new HeldLease(request.ref(), token, connection);
			this.leases.put(request.leaseId(), lease);
			scheduleExpiry(lease, request.ttl().toMillis());
			pinned = true;
			return Grant.granted(token);
		}
		catch (SQLException | RuntimeException ex) {
			if (ex instanceof SQLException sqlException && JdbcErrors.isDataError(sqlException)) {
				// bad data, healthy session: give back any lock taken on the way and return the connection intact
				// (aborting it would make the pool discard a good connection for every bad request)
				unlockAllOrAbort(connection);
			}
			else {
				abort(connection);
			}
			pinned = true;
			if (ex instanceof SQLException sqlException) {
				throw unavailable(key, "acquire", sqlException);
			}
			throw (RuntimeException) ex;
		}
		finally {
			if (!pinned) {
				closeQuietly(connection);
			}
		}
	}

	/**
	 * Takes the main lock exclusively and, only if that succeeded, draws the token and records the lease
	 * (purging the records of dead sessions on the key): one statement, one round trip. The data-modifying
	 * CTEs run once, after {@code grant}, and do nothing when the lock was not granted.
	 */
	private long tryWriteAndRecord(Connection connection, LeaseRequest request) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(this.writeGrantSql)) {
			statement.setLong(1, hash(request.key(), 'L'));
			statement.setString(2, request.key());
			statement.setString(3, request.key());
			statement.setString(4, request.leaseId());
			statement.setString(5, request.type().name());
			statement.setString(6, request.owner());
			statement.setString(7, MetadataCodec.encode(request.metadata()));
			statement.setLong(8, request.ttl().toMillis());
			statement.setString(9, request.key());
			statement.setString(10, request.key());
			return queryLong(statement);
		}
	}

	/**
	 * The statement that raises a key's wait flag to {@value #WAIT_FLAG_MILLIS} ms ahead, unless more than half
	 * of that is still left. Parameters: the key, twice.
	 * @param condition an SQL condition that must also hold
	 */
	private String flagWaiterSql(String condition) {
		return "INSERT INTO " + this.table + " AS k (" + LockTable.COLUMNS + ") SELECT ?, '', 'KEY', '', 0, '', 0, now(), now() + "
				+ WAIT_FLAG_MILLIS + " * INTERVAL '1 millisecond' WHERE " + condition + " AND NOT EXISTS (SELECT 1 FROM "
				+ this.table + " WHERE lock_key = ? AND lease_id = '' AND expires_at > now() + " + (WAIT_FLAG_MILLIS / 2)
				+ " * INTERVAL '1 millisecond') ON CONFLICT (lock_key, lease_id) DO UPDATE SET expires_at ="
				+ " GREATEST(k.expires_at, EXCLUDED.expires_at)";
	}

	private void flagWaiter(Connection connection, String key) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(this.flagWaiterSql)) {
			statement.setString(1, key);
			statement.setString(2, key);
			statement.executeUpdate();
		}
	}

	/**
	 * Takes a READ or PERMITS lease and records it; on denial, gives back the locks taken on the way.
	 * @return the token, or 0 when denied
	 */
	private long tryShared(Connection connection, LeaseRequest request) throws SQLException {
		String key = request.key();
		boolean granted = (request.type() == LeaseType.READ) ? trySharedKind(connection, key, 'R', 'P')
				: trySharedKind(connection, key, 'P', 'R')
						&& tryPermitSlots(connection, key, request.permits(), request.limit());
		if (!granted) {
			unlockAll(connection);
			flagWaiter(connection, key);
			return 0;
		}
		long token = nextToken(connection);
		record(connection, request, token);
		return token;
	}

	/**
	 * Takes the main lock shared and announces this kind (R or P), then checks that no lease of the other kind
	 * is held. Announcing before checking means two kinds can never both succeed.
	 */
	private boolean trySharedKind(Connection connection, String key, char kind, char otherKind) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(
				"SELECT CASE WHEN pg_try_advisory_lock_shared(?) THEN pg_try_advisory_lock_shared(?) ELSE false END")) {
			statement.setLong(1, hash(key, 'L'));
			statement.setLong(2, hash(key, kind));
			if (!queryBoolean(statement)) {
				return false;
			}
		}
		try (PreparedStatement statement = connection.prepareStatement(HELD_BY_OTHERS)) {
			long other = hash(key, otherKind);
			statement.setLong(1, other >>> 32);
			statement.setLong(2, other & 0xFFFFFFFFL);
			return !queryBoolean(statement);
		}
	}

	private boolean tryPermitSlots(Connection connection, String key, int permits, int limit) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement("SELECT count(*) FROM (SELECT s FROM "
				+ "generate_series(0, ?) s WHERE pg_try_advisory_lock(? # s::bigint) LIMIT ?) taken")) {
			statement.setInt(1, limit - 1);
			statement.setLong(2, hash(key, 'S'));
			statement.setInt(3, permits);
			return queryLong(statement) >= permits;
		}
	}

	private long nextToken(Connection connection) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement("SELECT nextval('" + this.sequence + "')")) {
			return queryLong(statement);
		}
	}

	private void record(Connection connection, LeaseRequest request, long token) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement("INSERT INTO " + this.table + " ("
				+ LockTable.COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, now(), now() + CAST(? AS BIGINT) * INTERVAL '1 millisecond')")) {
			int i = 1;
			statement.setString(i++, request.key());
			statement.setString(i++, request.leaseId());
			statement.setString(i++, request.type().name());
			statement.setString(i++, request.owner());
			statement.setInt(i++, (request.type() == LeaseType.PERMITS) ? request.permits() : 1);
			statement.setString(i++, MetadataCodec.encode(request.metadata()));
			statement.setLong(i++, token);
			statement.setLong(i, request.ttl().toMillis());
			statement.executeUpdate();
		}
	}

	/**
	 * Releases a lease. A lease held by this provider is unlocked at once; one held by another instance (a
	 * detached lease released by id) has its record deleted here, and its holder unlocks the session at its
	 * next check (within the liveness interval).
	 */
	@Override
	public boolean release(LeaseRef lease) {
		LockTable.checkKey(lease.key(), "PostgresAdvisoryLockProvider.release");
		HeldLease held = this.leases.get(lease.leaseId());
		if (held != null && held.ref.equals(lease)) {
			return end(held, false);
		}
		try (Connection connection = this.dataSource.getConnection();
				PreparedStatement statement = connection.prepareStatement("WITH gone AS (DELETE FROM " + this.table
						+ " WHERE lock_key = ? AND lease_id = ? AND lease_type = ? AND expires_at > now() RETURNING lock_key)"
						+ " SELECT pg_notify(?, lock_key) FROM gone")) {
			statement.setString(1, lease.key());
			statement.setString(2, lease.leaseId());
			statement.setString(3, lease.type().name());
			statement.setString(4, this.channel);
			try (ResultSet rs = statement.executeQuery()) {
				return rs.next();
			}
		}
		catch (SQLException ex) {
			throw unavailable(lease.key(), "release", ex);
		}
	}

	/**
	 * Ends a lease: unlocks its session, deletes its record, notifies waiters and returns the connection.
	 * @return {@code true} if the session was alive and held the lease until now
	 */
	private boolean end(HeldLease held, boolean reportLoss) {
		held.lock.lock();
		try {
			if (held.ended) {
				return false;
			}
			held.ended = true;
			this.leases.remove(held.ref.leaseId(), held);
			cancelExpiry(held);
			try (PreparedStatement statement = held.connection.prepareStatement(this.releaseSql)) {
				statement.setString(1, held.ref.key());
				statement.setString(2, held.ref.leaseId());
				statement.setString(3, this.channel);
				statement.setString(4, held.ref.key());
				statement.setString(5, held.ref.key());
				statement.executeQuery().close();
				closeQuietly(held.connection);
			}
			catch (SQLException ex) {
				// The session is gone (or broken): its advisory locks are gone with it.
				abort(held.connection);
				deleteRecord(held.ref);
				if (reportLoss) {
					this.lossListener.accept(held.ref);
				}
				return false;
			}
		}
		finally {
			held.lock.unlock();
		}
		if (!this.listener.isListening()) {
			this.signals.signal(held.ref.key());
		}
		if (reportLoss) {
			this.lossListener.accept(held.ref);
		}
		return true;
	}

	/**
	 * Sets the lease's TTL (enforced by this provider) and its recorded expiry; succeeds while the pinned
	 * session is alive.
	 */
	@Override
	public boolean extend(LeaseRef lease, Duration ttl) {
		LockTable.checkTtl(ttl, "PostgresAdvisoryLockProvider.extend");
		LockTable.checkKey(lease.key(), "PostgresAdvisoryLockProvider.extend");
		String extendSql = "UPDATE " + this.table + " SET expires_at = now() + CAST(? AS BIGINT) * INTERVAL '1 millisecond'"
				+ " WHERE lock_key = ? AND lease_id = ? AND lease_type = ? AND expires_at > now()";
		HeldLease held = this.leases.get(lease.leaseId());
		if (held == null || !held.ref.equals(lease)) {
			// Held by another instance (a detached lease extended by id): its holder re-reads the expiry.
			try (Connection connection = this.dataSource.getConnection();
					PreparedStatement statement = connection.prepareStatement(extendSql)) {
				bindExtend(statement, lease, ttl);
				return statement.executeUpdate() > 0;
			}
			catch (SQLException ex) {
				throw unavailable(lease.key(), "extend", ex);
			}
		}
		held.lock.lock();
		try {
			if (held.ended) {
				return false;
			}
			try (PreparedStatement statement = held.connection.prepareStatement(extendSql)) {
				bindExtend(statement, lease, ttl);
				if (statement.executeUpdate() == 0) {
					end(held, false);
					return false;
				}
			}
			catch (SQLException ex) {
				lost(held, false);
				return false;
			}
			cancelExpiry(held);
			scheduleExpiry(held, ttl.toMillis());
			return true;
		}
		finally {
			held.lock.unlock();
		}
	}

	private static void bindExtend(PreparedStatement statement, LeaseRef lease, Duration ttl) throws SQLException {
		statement.setLong(1, ttl.toMillis());
		statement.setString(2, lease.key());
		statement.setString(3, lease.leaseId());
		statement.setString(4, lease.type().name());
	}

	private void scheduleExpiry(HeldLease held, long delayMillis) {
		held.expiry = this.scheduler.schedule(() -> expire(held), delayMillis, TimeUnit.MILLISECONDS);
	}

	/**
	 * Runs when the lease's TTL should have run out: the recorded expiry (database clock, possibly extended
	 * by another instance) decides whether it has; if so the session is unlocked and the loss reported.
	 */
	private void expire(HeldLease held) {
		held.lock.lock();
		try {
			if (held.ended) {
				return;
			}
			long remainingMillis;
			try (PreparedStatement statement = held.connection.prepareStatement(
					"SELECT CAST(CEIL(EXTRACT(EPOCH FROM (expires_at - now())) * 1000) AS BIGINT) FROM " + this.table
							+ " WHERE lock_key = ? AND lease_id = ?")) {
				statement.setString(1, held.ref.key());
				statement.setString(2, held.ref.leaseId());
				try (ResultSet rs = statement.executeQuery()) {
					remainingMillis = rs.next() ? rs.getLong(1) : 0;
				}
			}
			catch (SQLException ex) {
				lost(held, true);
				return;
			}
			if (remainingMillis > 0) {
				scheduleExpiry(held, remainingMillis);
				return;
			}
			logger.debug("Advisory lease {} on '{}' reached its TTL; unlocking", held.ref.leaseId(),
					KeyText.forMessage(held.ref.key()));
			end(held, true);
		}
		finally {
			held.lock.unlock();
		}
	}

	private static void cancelExpiry(HeldLease held) {
		ScheduledFuture<?> expiry = held.expiry;
		if (expiry != null) {
			expiry.cancel(false);
		}
	}

	/**
	 * Periodically checks every pinned session with one query on it: a dead session is reported lost at once;
	 * a lease whose record was deleted (released by id or force-released through another instance) is
	 * unlocked and reported lost.
	 */
	private void checkSessions() {
		for (HeldLease held : this.leases.values()) {
			if (!held.lock.tryLock()) {
				continue;
			}
			if (held.ended) {
				held.lock.unlock();
				continue;
			}
			try (PreparedStatement statement = held.connection.prepareStatement(
					"SELECT EXISTS (SELECT 1 FROM " + this.table + " WHERE lock_key = ? AND lease_id = ?)")) {
				statement.setQueryTimeout(5);
				statement.setString(1, held.ref.key());
				statement.setString(2, held.ref.leaseId());
				if (!queryBoolean(statement)) {
					end(held, true);
				}
			}
			catch (SQLException | RuntimeException ex) {
				lost(held, true);
			}
			finally {
				held.lock.unlock();
			}
		}
	}

	private void lost(HeldLease held, boolean report) {
		if (held.ended) {
			return;
		}
		held.ended = true;
		this.leases.remove(held.ref.leaseId(), held);
		cancelExpiry(held);
		abort(held.connection);
		logger.warn("Session holding advisory lease {} on '{}' died; lease lost", held.ref.leaseId(),
				KeyText.forMessage(held.ref.key()));
		deleteRecord(held.ref);
		if (!this.listener.isListening()) {
			this.signals.signal(held.ref.key());
		}
		if (report) {
			this.lossListener.accept(held.ref);
		}
	}

	private void deleteRecord(LeaseRef lease) {
		try (Connection connection = this.dataSource.getConnection();
				PreparedStatement statement = connection.prepareStatement("WITH gone AS (DELETE FROM " + this.table
						+ " WHERE lock_key = ? AND lease_id = ?) SELECT pg_notify(?, ?)")) {
			statement.setString(1, lease.key());
			statement.setString(2, lease.leaseId());
			statement.setString(3, this.channel);
			statement.setString(4, lease.key());
			statement.executeQuery().close();
		}
		catch (SQLException ex) {
			logger.debug("Could not delete the record of lost lease {} on '{}'", lease.leaseId(),
					KeyText.forMessage(lease.key()), ex);
		}
	}

	/**
	 * Lists the recorded leases whose advisory lock is held now, oldest first. Leases of sessions that died
	 * without their process noticing may still be listed while another reader holds the key, until their
	 * recorded expiry passes.
	 */
	@Override
	public LockInfo inspect(String key) {
		LockTable.checkKey(key, "PostgresAdvisoryLockProvider.inspect");
		try (Connection connection = this.dataSource.getConnection()) {
			return inspect(connection, key);
		}
		catch (SQLException ex) {
			throw unavailable(key, "inspect", ex);
		}
	}

	private LockInfo inspect(Connection connection, String key) throws SQLException {
		long id = hash(key, 'L');
		List<LeaseInfo> found = new ArrayList<>();
		try (PreparedStatement statement = connection.prepareStatement("SELECT " + LockTable.COLUMNS + " FROM " + this.table
				+ " WHERE lock_key = ? AND lease_id <> '' AND expires_at > now() AND EXISTS (SELECT 1 FROM pg_locks"
				+ " WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND database = (SELECT oid FROM pg_database"
				+ " WHERE datname = current_database()) AND classid::bigint = ? AND objid::bigint = ?)"
				+ " ORDER BY fencing_token")) {
			statement.setString(1, key);
			statement.setLong(2, id >>> 32);
			statement.setLong(3, id & 0xFFFFFFFFL);
			try (ResultSet rs = statement.executeQuery()) {
				while (rs.next()) {
					found.add(LockTable.readLease(rs, LockTable::readTimestampWithTimeZone));
				}
			}
		}
		return LockInfo.of(key, found);
	}

	@Override
	public LockPage list(String keyPrefix, int offset, int limit) {
		if (offset < 0 || limit < 0) {
			throw new IllegalArgumentException("PostgresAdvisoryLockProvider.list: offset and limit must not be negative, got "
					+ offset + " and " + limit);
		}
		String pattern = keyPrefix.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%";
		try (Connection connection = this.dataSource.getConnection()) {
			List<String> keys = new ArrayList<>();
			try (PreparedStatement statement = connection.prepareStatement("SELECT DISTINCT lock_key FROM " + this.table
					+ " WHERE lock_key LIKE ? ESCAPE '!' AND lease_id <> '' AND expires_at > now() ORDER BY lock_key")) {
				statement.setString(1, pattern);
				try (ResultSet rs = statement.executeQuery()) {
					while (rs.next()) {
						keys.add(rs.getString(1));
					}
				}
			}
			List<LockInfo> locked = new ArrayList<>();
			for (String key : keys) {
				LockInfo info = inspect(connection, key);
				if (info.isLocked()) {
					locked.add(info);
				}
			}
			int from = Math.min(offset, locked.size());
			int to = (int) Math.min((long) from + limit, locked.size());
			return new LockPage(locked.subList(from, to), locked.size());
		}
		catch (SQLException ex) {
			throw unavailable(keyPrefix + "*", "list", ex);
		}
	}

	/**
	 * Ends this provider's leases on the key and terminates every other session holding the key's advisory
	 * locks ({@code pg_terminate_backend}, which needs the right to signal those sessions), waits until the
	 * locks are free, deletes the records and wakes waiters.
	 */
	@Override
	public boolean forceRelease(String key) {
		LockTable.checkKey(key, "PostgresAdvisoryLockProvider.forceRelease");
		boolean any = false;
		for (HeldLease held : this.leases.values()) {
			if (held.ref.key().equals(key)) {
				any |= end(held, true);
			}
		}
		long id = hash(key, 'L');
		String holders = "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
				+ " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
				+ " AND classid::bigint = ? AND objid::bigint = ? AND pid <> pg_backend_pid()";
		try (Connection connection = this.dataSource.getConnection()) {
			List<Integer> pids = new ArrayList<>();
			try (PreparedStatement statement = connection.prepareStatement(holders)) {
				statement.setLong(1, id >>> 32);
				statement.setLong(2, id & 0xFFFFFFFFL);
				try (ResultSet rs = statement.executeQuery()) {
					while (rs.next()) {
						pids.add(rs.getInt(1));
					}
				}
			}
			for (int pid : pids) {
				try (PreparedStatement statement = connection.prepareStatement("SELECT pg_terminate_backend(?)")) {
					statement.setInt(1, pid);
					statement.executeQuery().close();
				}
			}
			any |= !pids.isEmpty();
			awaitFree(connection, id);
			try (PreparedStatement statement = connection.prepareStatement("WITH gone AS (DELETE FROM " + this.table
					+ " WHERE lock_key = ? AND lease_id <> '') SELECT pg_notify(?, ?)")) {
				statement.setString(1, key);
				statement.setString(2, this.channel);
				statement.setString(3, key);
				statement.executeQuery().close();
			}
		}
		catch (SQLException ex) {
			throw unavailable(key, "force-release", ex);
		}
		if (!this.listener.isListening()) {
			this.signals.signal(key);
		}
		return any;
	}

	private static void awaitFree(Connection connection, long id) throws SQLException {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
		try (PreparedStatement statement = connection.prepareStatement(HELD_BY_OTHERS)) {
			statement.setLong(1, id >>> 32);
			statement.setLong(2, id & 0xFFFFFFFFL);
			while (queryBoolean(statement) && System.nanoTime() < deadline) {
				try {
					Thread.sleep(10); // pg_terminate_backend only signals; the backend exits moments later
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
			}
		}
	}

	/**
	 * Returns {@code true}: releases send {@code pg_notify}, received by one {@code LISTEN} connection per
	 * provider. (A session that dies sends nothing; waiters then fall back to the engine's backoff.)
	 */
	@Override
	public boolean notifiesReleases() {
		return true;
	}

	@Override
	public ReleaseSubscription subscribe(String key) {
		return subscribe(key, LeaseType.READ);
	}

	/**
	 * Subscribes through {@link ReleaseSignals} (a release wakes every shared waiter but one exclusive
	 * waiter); the first subscription starts the provider's {@code LISTEN} connection.
	 */
	@Override
	public ReleaseSubscription subscribe(String key, LeaseType type) {
		this.listener.ensureStarted();
		return this.signals.subscribe(key, type);
	}

	@Override
	public void setLeaseLossListener(Consumer<LeaseRef> listener) {
		this.lossListener = Objects.requireNonNull(listener, "listener");
	}

	@Override
	public void ping() {
		try (Connection connection = this.dataSource.getConnection();
				Statement statement = connection.createStatement()) {
			statement.executeQuery("SELECT 1").close();
		}
		catch (SQLException ex) {
			throw unavailable("ping", "ping", ex);
		}
	}

	/**
	 * Stops the checks and the {@code LISTEN} connection and closes the pinned connections of leases still
	 * held, which frees their advisory locks (they cannot outlive their sessions).
	 */
	@Override
	public void close() {
		this.scheduler.shutdownNow();
		this.listener.close();
		for (HeldLease held : this.leases.values()) {
			end(held, false);
		}
	}

	private long hash(String key, char kind) {
		try {
			MessageDigest digest = MessageDigest.getInstance("SHA-256");
			digest.update(ByteBuffer.allocate(Long.BYTES + Character.BYTES).putLong(this.namespace).putChar(kind).array());
			digest.update(key.getBytes(StandardCharsets.UTF_8));
			return ByteBuffer.wrap(digest.digest()).getLong();
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is not available", ex);
		}
	}

	private static long queryLong(PreparedStatement statement) throws SQLException {
		try (ResultSet rs = statement.executeQuery()) {
			rs.next();
			return rs.getLong(1);
		}
	}

	private static boolean queryBoolean(PreparedStatement statement) throws SQLException {
		try (ResultSet rs = statement.executeQuery()) {
			rs.next();
			return rs.getBoolean(1);
		}
	}

	private static void unlockAll(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement()) {
			statement.executeQuery("SELECT pg_advisory_unlock_all()").close();
		}
	}

	/**
	 * Ends the session for sure (so no advisory lock can go back to the pool with it), then closes the
	 * connection so that a pool accounts for it (and discards it).
	 */
	private static void abort(Connection connection) {
		try {
			connection.abort(Runnable::run);
		}
		catch (SQLException | RuntimeException ex) {
			logger.debug("Could not abort a connection", ex);
		}
		closeQuietly(connection);
	}

	private static void unlockAllOrAbort(Connection connection) {
		try {
			unlockAll(connection);
			closeQuietly(connection);
		}
		catch (SQLException | RuntimeException ex) {
			abort(connection);
		}
	}

	private static void closeQuietly(Connection connection) {
		try {
			connection.close();
		}
		catch (SQLException | RuntimeException ex) {
			logger.debug("Could not close a connection", ex);
		}
	}

	/** A data error becomes an {@link IllegalArgumentException}, anything else an unavailable backend. */
	private static RuntimeException unavailable(String key, String operation, SQLException ex) {
		return JdbcErrors.translate("PostgreSQL advisory lock provider", operation, key, ex);
	}

	/** One granted lease and its pinned connection. */
	private static final class HeldLease {

		private final LeaseRef ref;

		private final long token;

		private final Connection connection;

		private final ReentrantLock lock = new ReentrantLock();

		private boolean ended;

		private volatile @Nullable ScheduledFuture<?> expiry;

		HeldLease(LeaseRef ref, long token, Connection connection) {
			this.ref = ref;
			this.token = token;
			this.connection = connection;
		}

	}

	/**
	 * Builds a {@link PostgresAdvisoryLockProvider}.
	 */
	public static final class Builder {

		private final DataSource dataSource;

		private long namespace = DEFAULT_NAMESPACE;

		private String tableName = JdbcLockProvider.DEFAULT_TABLE_NAME;

		private String sequenceName = DEFAULT_SEQUENCE_NAME;

		private Duration livenessCheckInterval = Duration.ofSeconds(1);

		private Builder(DataSource dataSource) {
			this.dataSource = dataSource;
		}

		/**
		 * Sets the namespace hashed into every advisory lock id (default {@link #DEFAULT_NAMESPACE}), so
		 * applications sharing a database do not collide.
		 * @param namespace the namespace
		 * @return this builder
		 */
		public Builder namespace(long namespace) {
			this.namespace = namespace;
			return this;
		}

		/**
		 * Sets the table that records holders for inspection (default
		 * {@value JdbcLockProvider#DEFAULT_TABLE_NAME}).
		 * @param tableName the table name
		 * @return this builder
		 * @throws IllegalArgumentException if the name is not a plain SQL identifier
		 */
		public Builder tableName(String tableName) {
			this.tableName = LockTable.checkIdentifier(tableName, "PostgresAdvisoryLockProvider.Builder.tableName");
			return this;
		}

		/**
		 * Sets the fencing-token sequence (default {@value PostgresAdvisoryLockProvider#DEFAULT_SEQUENCE_NAME}).
		 * @param sequenceName the sequence name
		 * @return this builder
		 * @throws IllegalArgumentException if the name is not a plain SQL identifier
		 */
		public Builder sequenceName(String sequenceName) {
			this.sequenceName = LockTable.checkIdentifier(sequenceName,
					"PostgresAdvisoryLockProvider.Builder.sequenceName");
			return this;
		}

		/**
		 * Sets how often every pinned session is checked (default 1 s); a dead one is reported lost.
		 * @param interval the interval, positive
		 * @return this builder
		 * @throws IllegalArgumentException if the interval is not positive
		 */
		public Builder livenessCheckInterval(Duration interval) {
			if (interval == null || interval.isNegative() || interval.isZero() || interval.toMillis() == 0) {
				throw new IllegalArgumentException(
						"PostgresAdvisoryLockProvider.Builder.livenessCheckInterval: must be at least 1 ms, got " + interval);
			}
			this.livenessCheckInterval = interval;
			return this;
		}

		/**
		 * Checks the database (PostgreSQL, lock table present), creates the fencing sequence if missing, and
		 * builds the provider.
		 * @return the provider
		 * @throws IllegalStateException if the database is not PostgreSQL, cannot be reached, lacks the lock
		 * table, or the sequence is missing and cannot be created
		 */
		public PostgresAdvisoryLockProvider build() {
			try (Connection connection = this.dataSource.getConnection()) {
				if (JdbcDialect.detect(connection.getMetaData()) != JdbcDialect.POSTGRESQL) {
					throw new IllegalStateException("PostgresAdvisoryLockProvider needs PostgreSQL, but the data source is "
							+ connection.getMetaData().getDatabaseProductName());
				}
				ensureSequence(connection);
			}
			catch (SQLException ex) {
				throw new IllegalStateException(
						"PostgresAdvisoryLockProvider: cannot open a connection to check the database: " + ex.getMessage(), ex);
			}
			new LockTable(this.tableName).verify(this.dataSource, JdbcDialect.POSTGRESQL.platform());
			return new PostgresAdvisoryLockProvider(this);
		}

		private void ensureSequence(Connection connection) {
			try (PreparedStatement exists = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
				exists.setString(1, this.sequenceName);
				if (queryBoolean(exists)) {
					return;
				}
				if (!connection.getAutoCommit()) {
					connection.setAutoCommit(true);
				}
				try (Statement statement = connection.createStatement()) {
					statement.execute("CREATE SEQUENCE IF NOT EXISTS " + this.sequenceName);
				}
			}
			catch (SQLException ex) {
				throw new IllegalStateException("PostgresAdvisoryLockProvider: fencing sequence '" + this.sequenceName
						+ "' is missing and could not be created; run classpath:dev/locksmith/provider/jdbc/"
						+ "schema-postgresql.sql or grant CREATE. Database error: " + ex.getMessage(), ex);
			}
		}

	}

}
