package dev.locksmith.provider.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import javax.sql.DataSource;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;
import dev.locksmith.LockInfo;
import dev.locksmith.LockPage;
import dev.locksmith.provider.support.ReleaseSignals;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.spi.ReleaseSubscription;
import dev.locksmith.spi.Renewal;

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
 * application's own use. Bad input (a key, owner or metadata too long for the lock table, a TTL under 1 ms)
 * is rejected with an {@link IllegalArgumentException} before any connection is borrowed. Thread-safe.
 *
 * <p>The SQL is in {@link AdvisoryStatements}, the lock ids in {@link AdvisoryLockIds}, the pinned sessions
 * with their TTLs and liveness checks in {@link AdvisorySessions}; this class runs the grants and queries.
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

	private final DataSource dataSource;

	private final LockTable table;

	private final AdvisoryStatements statements;

	private final AdvisoryLockIds ids;

	private final ReleaseSignals signals = new ReleaseSignals();

	private final PostgresReleaseListener listener;

	private final AdvisorySessions sessions;

	private final boolean waitInServer;

	private final ServerWaits serverWaits;

	private PostgresAdvisoryLockProvider(Builder builder) {
		this.dataSource = builder.dataSource;
		this.table = new LockTable(builder.tableName);
		this.statements = new AdvisoryStatements(this.table, builder.sequenceName);
		this.ids = new AdvisoryLockIds(builder.namespace);
		this.listener = new PostgresReleaseListener(this.dataSource, this.table.channel(), this.signals);
		this.sessions = new AdvisorySessions(this.dataSource, this.statements, this.table.channel(), this::wakeWaiters,
				builder.livenessCheckInterval);
		this.waitInServer = builder.waitInServer;
		this.serverWaits = new ServerWaits(this.dataSource, this.statements, this.ids, this.sessions);
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
		return this.ids.id(key, AdvisoryLockIds.MAIN);
	}

	@Override
	public Grant acquire(LeaseRequest request) {
		LockTable.checkRequest(request, "PostgresAdvisoryLockProvider.acquire");
		Grant waited = this.serverWaits.takeGrant(request);
		if (waited != null) {
			// the acquisition's wait in the server took the lock and recorded the lease
			return waited;
		}
		String key = request.key();
		int permits = (request.type() == LeaseType.PERMITS) ? request.permits() : 1;
		AdvisorySessions.HeldLease sent = this.sessions.find(request.ref());
		if (sent != null && sent.permits() != permits) {
			// the lease id holds another permit count: not a re-send of that lease, and it cannot have two
			return Grant.denied(null);
		}
		if (sent != null && this.sessions.extend(sent, request.ttl())) {
			// a re-sent request (same lease id): the lease is held; its TTL now runs from this request
			return Grant.granted(sent.token());
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
				return Grant.denied(this.serverWaits.waits(request) ? ServerWaits.HINT : null);
			}
			this.sessions.pin(request.ref(), token, permits,
					(request.type() == LeaseType.PERMITS) ? request.limit() : 1, connection, request.ttl());
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
				AdvisorySessions.abort(connection);
			}
			pinned = true;
			if (ex instanceof SQLException sqlException) {
				throw unavailable(key, "acquire", sqlException);
			}
			throw (RuntimeException) ex;
		}
		finally {
			if (!pinned) {
				AdvisorySessions.closeQuietly(connection);
			}
		}
	}

	/**
	 * Takes the main lock exclusively and, only if that succeeded, draws the token and records the lease
	 * (purging the records of dead sessions on the key): one statement, one round trip. The data-modifying
	 * CTEs run once, after {@code grant}, and do nothing when the lock was not granted.
	 */
	private long tryWriteAndRecord(Connection connection, LeaseRequest request) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(this.statements.writeGrant())) {
			statement.setLong(1, this.ids.id(request.key(), AdvisoryLockIds.MAIN));
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

	private void flagWaiter(Connection connection, String key) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(this.statements.flagWaiter())) {
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
		boolean granted = (request.type() == LeaseType.READ)
				? trySharedKind(connection, key, AdvisoryLockIds.READERS, AdvisoryLockIds.PERMIT_HOLDERS)
				: trySharedKind(connection, key, AdvisoryLockIds.PERMIT_HOLDERS, AdvisoryLockIds.READERS)
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
	 * Takes the main lock shared and announces this kind (readers or permit holders), then checks that no
	 * lease of the other kind is held. Announcing before checking means two kinds can never both succeed.
	 */
	private boolean trySharedKind(Connection connection, String key, char kind, char otherKind) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(this.statements.trySharedKind())) {
			statement.setLong(1, this.ids.id(key, AdvisoryLockIds.MAIN));
			statement.setLong(2, this.ids.id(key, kind));
			if (!queryBoolean(statement)) {
				return false;
			}
		}
		try (PreparedStatement statement = connection.prepareStatement(this.statements.heldByOthers())) {
			bindLockId(statement, 1, this.ids.id(key, otherKind));
			return !queryBoolean(statement);
		}
	}

	private boolean tryPermitSlots(Connection connection, String key, int permits, int limit) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(this.statements.takePermitSlots())) {
			statement.setInt(1, limit - 1);
			statement.setLong(2, this.ids.id(key, AdvisoryLockIds.SLOTS));
			statement.setInt(3, permits);
			return queryLong(statement) >= permits;
		}
	}

	private long nextToken(Connection connection) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(this.statements.nextToken())) {
			return queryLong(statement);
		}
	}

	private void record(Connection connection, LeaseRequest request, long token) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(this.statements.record())) {
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
		AdvisorySessions.HeldLease held = this.sessions.find(lease);
		if (held != null) {
			return this.sessions.end(held, false);
		}
		try (Connection connection = this.dataSource.getConnection();
				PreparedStatement statement = connection.prepareStatement(this.statements.releaseRecord())) {
			statement.setString(1, lease.key());
			statement.setString(2, lease.leaseId());
			statement.setString(3, lease.type().name());
			statement.setString(4, this.table.channel());
			try (ResultSet rs = statement.executeQuery()) {
				return rs.next();
			}
		}
		catch (SQLException ex) {
			throw unavailable(lease.key(), "release", ex);
		}
	}

	/**
	 * Sets the lease's TTL (enforced by this provider) and its recorded expiry; succeeds while the pinned
	 * session is alive.
	 */
	@Override
	public boolean extend(LeaseRef lease, Duration ttl) {
		LockTable.checkTtl(ttl, "PostgresAdvisoryLockProvider.extend");
		LockTable.checkKey(lease.key(), "PostgresAdvisoryLockProvider.extend");
		AdvisorySessions.HeldLease held = this.sessions.find(lease);
		if (held != null) {
			return this.sessions.extend(held, ttl);
		}
		// Held by another instance (a detached lease extended by id): its holder re-reads the expiry.
		try (Connection connection = this.dataSource.getConnection();
				PreparedStatement statement = connection.prepareStatement(this.statements.extend())) {
			statement.setLong(1, ttl.toMillis());
			statement.setString(2, lease.key());
			statement.setString(3, lease.leaseId());
			statement.setString(4, lease.type().name());
			return statement.executeUpdate() > 0;
		}
		catch (SQLException ex) {
			throw unavailable(lease.key(), "extend", ex);
		}
	}

	/**
	 * Gives back part of a permit lease's semaphore slots on its own session (see
	 * {@link AdvisorySessions#reducePermits}). Only the process holding the lease can: its slots are advisory
	 * locks of its session, so a lease this provider does not hold is reported gone.
	 */
	@Override
	public boolean reducePermits(LeaseRef lease, int permits) {
		LockProvider.checkReducePermits("PostgresAdvisoryLockProvider.reducePermits", lease, permits);
		LockTable.checkKey(lease.key(), "PostgresAdvisoryLockProvider.reducePermits");
		AdvisorySessions.HeldLease held = this.sessions.find(lease);
		if (held == null) {
			return false;
		}
		return this.sessions.reducePermits(held, permits, this.ids.id(lease.key(), AdvisoryLockIds.SLOTS));
	}

	/**
	 * Extends each lease as {@link #extend} does, after checking every key and TTL (bad input is rejected before
	 * any SQL runs).
	 */
	@Override
	public Set<LeaseRef> renew(List<Renewal> renewals) {
		for (Renewal renewal : renewals) {
			LockTable.checkTtl(renewal.ttl(), "PostgresAdvisoryLockProvider.renew");
			LockTable.checkKey(renewal.lease().key(), "PostgresAdvisoryLockProvider.renew");
		}
		Set<LeaseRef> extended = new HashSet<>();
		for (Renewal renewal : renewals) {
			if (extend(renewal.lease(), renewal.ttl())) {
				extended.add(renewal.lease());
			}
		}
		return extended;
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
		List<LeaseInfo> found = new ArrayList<>();
		try (PreparedStatement statement = connection.prepareStatement(this.statements.inspect())) {
			statement.setString(1, key);
			bindLockId(statement, 2, this.ids.id(key, AdvisoryLockIds.MAIN));
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
		LockTable.checkKey(keyPrefix, "PostgresAdvisoryLockProvider.list (key prefix)");
		String pattern = keyPrefix.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%";
		try (Connection connection = this.dataSource.getConnection()) {
			List<String> keys = new ArrayList<>();
			try (PreparedStatement statement = connection.prepareStatement(this.statements.listKeys())) {
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
		for (AdvisorySessions.HeldLease held : this.sessions.onKey(key)) {
			any |= this.sessions.end(held, true);
		}
		long id = this.ids.id(key, AdvisoryLockIds.MAIN);
		try (Connection connection = this.dataSource.getConnection()) {
			List<Integer> pids = new ArrayList<>();
			try (PreparedStatement statement = connection.prepareStatement(this.statements.holders())) {
				bindLockId(statement, 1, id);
				try (ResultSet rs = statement.executeQuery()) {
					while (rs.next()) {
						pids.add(rs.getInt(1));
					}
				}
			}
			for (int pid : pids) {
				try (PreparedStatement statement = connection.prepareStatement(this.statements.terminate())) {
					statement.setInt(1, pid);
					statement.executeQuery().close();
				}
			}
			any |= !pids.isEmpty();
			awaitFree(connection, id);
			try (PreparedStatement statement = connection.prepareStatement(this.statements.deleteRecords())) {
				statement.setString(1, key);
				statement.setString(2, this.table.channel());
				statement.setString(3, key);
				statement.executeQuery().close();
			}
		}
		catch (SQLException ex) {
			throw unavailable(key, "force-release", ex);
		}
		wakeWaiters(key);
		return any;
	}

	private void awaitFree(Connection connection, long id) throws SQLException {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
		try (PreparedStatement statement = connection.prepareStatement(this.statements.heldByOthers())) {
			bindLockId(statement, 1, id);
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

	/** Wakes this process's waiters directly, unless the {@code LISTEN} connection's notification will. */
	private void wakeWaiters(String key) {
		if (!this.listener.isListening()) {
			this.signals.signal(key);
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

	/**
	 * Returns whether waiting writers wait inside PostgreSQL ({@link Builder#waitInServer(boolean)}).
	 * @return {@code true} if they do
	 */
	@Override
	public boolean queuesWaiters() {
		return this.waitInServer;
	}

	/**
	 * With {@link Builder#waitInServer(boolean) waitInServer}, a waiting WRITE acquisition's pauses are waits
	 * in PostgreSQL's lock queue, each at most {@link ServerWaits#HINT} (a thread blocked there sees an
	 * interrupt when its statement returns); otherwise, and for other lease types, as
	 * {@link #subscribe(String, LeaseType)}.
	 * @param request the waiting acquisition's request
	 * @return an armed subscription
	 */
	@Override
	public ReleaseSubscription subscribe(LeaseRequest request) {
		if (this.waitInServer && request.type() == LeaseType.WRITE) {
			return this.serverWaits.subscribe(request);
		}
		return subscribe(request.key(), request.type());
	}

	@Override
	public void setLeaseLossListener(Consumer<LeaseRef> listener) {
		this.sessions.setLossListener(listener);
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
		this.listener.close();
		this.sessions.close();
	}

	private static void bindLockId(PreparedStatement statement, int first, long id) throws SQLException {
		statement.setLong(first, AdvisoryLockIds.classId(id));
		statement.setLong(first + 1, AdvisoryLockIds.objId(id));
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

	private void unlockAll(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement()) {
			statement.executeQuery(this.statements.unlockAll()).close();
		}
	}

	private void unlockAllOrAbort(Connection connection) {
		try {
			unlockAll(connection);
			AdvisorySessions.closeQuietly(connection);
		}
		catch (SQLException | RuntimeException ex) {
			AdvisorySessions.abort(connection);
		}
	}

	/** A data error becomes an {@link IllegalArgumentException}, anything else an unavailable backend. */
	private static RuntimeException unavailable(String key, String operation, SQLException ex) {
		return JdbcErrors.translate("PostgreSQL advisory lock provider", operation, key, ex);
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

		private boolean waitInServer;

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
		 * Sets whether a waiting WRITE acquisition waits inside PostgreSQL (default {@code false}): each pause
		 * is one statement blocked in the server's lock queue ({@code pg_advisory_lock} under
		 * {@code lock_timeout}), so the lock manager keeps waiters in order and wakes exactly the next one
		 * on a release, which also records its lease in the same statement. A waiting acquisition then holds
		 * one pooled connection while it waits (size the pool for held plus waiting locks), and an interrupt
		 * is seen when the current wait ends (at most 2 s) instead of at once. When {@code false}, waiters
		 * sleep and are woken by {@code NOTIFY}.
		 * @param waitInServer whether writers wait in the server
		 * @return this builder
		 */
		public Builder waitInServer(boolean waitInServer) {
			this.waitInServer = waitInServer;
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
			try (PreparedStatement exists = connection.prepareStatement(AdvisoryStatements.relationExists())) {
				exists.setString(1, this.sequenceName);
				if (queryBoolean(exists)) {
					return;
				}
				if (!connection.getAutoCommit()) {
					connection.setAutoCommit(true);
				}
				try (Statement statement = connection.createStatement()) {
					statement.execute(AdvisoryStatements.createSequence(this.sequenceName));
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
