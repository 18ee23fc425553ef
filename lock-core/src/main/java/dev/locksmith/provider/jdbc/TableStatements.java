package dev.locksmith.provider.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * The SQL of table mode for one database, built once per provider from the table name: one subclass per
 * database ({@link PostgresTableStatements}, {@link H2TableStatements}, {@link MySqlTableStatements}); the
 * provider only binds and runs them. Parameters are listed in each method's javadoc, in order.
 *
 * <p>Statements that only PostgreSQL has (one-round-trip grants and renewals, {@code NOTIFY}, the wait flag)
 * return {@code null} elsewhere.
 */
abstract class TableStatements {

	private final LockTable table;

	private final String selectLeases;

	private final String purgeExpired;

	private final String insertLease;

	private final String release;

	private final String extend;

	private final String reducePermits;

	private final String lockKeyRow;

	private final String inspect;

	private final String listCount;

	private final String listPage;

	private final String forceReleaseLive;

	private final String forceReleaseAll;

	/**
	 * Builds the statements common to every database.
	 * @param table the lock table
	 * @param now the SQL expression for the database's current time
	 * @param nowPlusMillis the SQL expression for the current time plus a number of milliseconds bound to one
	 * {@code ?}
	 */
	TableStatements(LockTable table, String now, String nowPlusMillis) {
		String name = table.name();
		this.table = table;
		this.selectLeases = "SELECT lease_id, lease_type, permits, fencing_token, expires_at, " + now + " AS db_now FROM "
				+ name + " WHERE lock_key = ? AND lease_id <> ''";
		this.purgeExpired = "DELETE FROM " + name + " WHERE lock_key = ? AND lease_id <> '' AND expires_at <= " + now;
		this.insertLease = "INSERT INTO " + name + " (" + LockTable.COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, " + now
				+ ", " + nowPlusMillis + ")";
		this.release = "DELETE FROM " + name + " WHERE lock_key = ? AND lease_id = ? AND lease_type = ? AND lease_id <> ''"
				+ " AND expires_at > " + now;
		this.extend = "UPDATE " + name + " SET expires_at = " + nowPlusMillis
				+ " WHERE lock_key = ? AND lease_id = ? AND lease_type = ? AND lease_id <> '' AND expires_at > " + now;
		this.reducePermits = "UPDATE " + name + " SET permits = CASE WHEN permits > ? THEN ? ELSE permits END"
				+ " WHERE lock_key = ? AND lease_id = ? AND lease_type = 'PERMITS' AND lease_id <> '' AND expires_at > " + now;
		this.lockKeyRow = "SELECT fencing_token FROM " + name + " WHERE lock_key = ? AND lease_id = '' FOR UPDATE";
		this.inspect = "SELECT " + LockTable.COLUMNS + " FROM " + name + " WHERE lock_key = ? AND lease_id <> ''"
				+ " AND expires_at > " + now + " ORDER BY fencing_token";
		String listed = " FROM " + name + " WHERE lock_key LIKE ? ESCAPE '!' AND lease_id <> '' AND expires_at > " + now;
		this.listCount = "SELECT COUNT(DISTINCT lock_key)" + listed;
		this.listPage = "SELECT DISTINCT lock_key" + listed + " ORDER BY lock_key LIMIT ? OFFSET ?";
		this.forceReleaseLive = "DELETE FROM " + name + " WHERE lock_key = ? AND lease_id <> '' AND expires_at > " + now;
		this.forceReleaseAll = "DELETE FROM " + name + " WHERE lock_key = ? AND lease_id <> ''";
	}

	/** Returns the lock table. */
	LockTable table() {
		return this.table;
	}

	/** The key's lease rows with the database's time: key. */
	String selectLeases() {
		return this.selectLeases;
	}

	/** Deletes the key's expired lease rows: key. */
	String purgeExpired() {
		return this.purgeExpired;
	}

	/** Inserts a lease: key, lease id, type, owner, permits, metadata, token, TTL in ms. */
	String insertLease() {
		return this.insertLease;
	}

	/**
	 * Deletes a live lease: key, lease id, type; on PostgreSQL also the channel and the key again, and it
	 * returns a row when it deleted one (see {@link #releaseNotifies()}).
	 */
	String release() {
		return this.release;
	}

	/**
	 * Returns whether {@link #release()} is a query that notifies waiters ({@code true} on PostgreSQL) rather
	 * than an update.
	 */
	boolean releaseNotifies() {
		return false;
	}

	/** Sets a live lease's expiry to now + TTL: TTL in ms, key, lease id, type. */
	String extend() {
		return this.extend;
	}

	/**
	 * Lowers a live permit lease's count, never raises it: permits, permits, key, lease id. Changes neither
	 * expiry nor token, so it needs no key lock: a grant that reads the old count only over-counts.
	 */
	String reducePermits() {
		return this.reducePermits;
	}

	/** Locks the key's counter row for the rest of the transaction: key. */
	String lockKeyRow() {
		return this.lockKeyRow;
	}

	/** The key's live leases, oldest token first: key. */
	String inspect() {
		return this.inspect;
	}

	/** How many keys with a live lease match a {@code LIKE} pattern (escape {@code !}): pattern. */
	String listCount() {
		return this.listCount;
	}

	/** One page of keys with a live lease: pattern, limit, offset. */
	String listPage() {
		return this.listPage;
	}

	/** Deletes the key's live leases (the count says whether any was held): key. */
	String forceReleaseLive() {
		return this.forceReleaseLive;
	}

	/** Deletes all of the key's lease rows, never its counter row: key. */
	String forceReleaseAll() {
		return this.forceReleaseAll;
	}

	/** Sends a release notification ({@code pg_notify}): channel, key. {@code null} without notifications. */
	@Nullable String notifyRelease() {
		return null;
	}

	/**
	 * PostgreSQL: a WRITE grant in one round trip (see {@link PostgresTableStatements}); {@code null} elsewhere
	 * or when the connections are not {@code READ COMMITTED}.
	 */
	@Nullable String acquireWrite() {
		return null;
	}

	/**
	 * PostgreSQL: locks the counter rows of many keys in one statement, in the database's byte order
	 * ({@code COLLATE "C"}), the order {@link #renewAll()} locks them in: keys (a text array). {@code null}
	 * elsewhere: the provider locks them one by one in code-point order.
	 */
	@Nullable String lockKeyRows() {
		return null;
	}

	/** PostgreSQL: {@link #lockKeyRow()} and {@link #extend()} in one round trip; parameters of both. */
	@Nullable String lockAndExtend() {
		return null;
	}

	/**
	 * PostgreSQL: locks the keys' counter rows in key order, then extends every live lease of the lists, in one
	 * round trip: keys (for the locks); keys, lease ids, types, TTLs in ms (four arrays).
	 */
	@Nullable String renewAll() {
		return null;
	}

	/**
	 * PostgreSQL: raises the key's wait flag to now + ms unless it already lasts that long: ms, key, ms.
	 * {@code null} elsewhere.
	 */
	@Nullable String flagWaiter() {
		return null;
	}

	/**
	 * Locks the key's counter row for the rest of the current transaction, creating it when missing without
	 * ever failing under concurrency, and increments its fencing token in the same step.
	 * @param connection a connection inside a transaction
	 * @param key the key
	 * @return the incremented fencing token
	 * @throws SQLException on a database error
	 */
	abstract long bumpKeyCounter(Connection connection, String key) throws SQLException;

	/**
	 * Reads a timestamp column as an instant.
	 * @param rs the result set
	 * @param column the column label
	 * @return the instant
	 * @throws SQLException on a database error
	 */
	Instant readInstant(ResultSet rs, String column) throws SQLException {
		return LockTable.readTimestampWithTimeZone(rs, column);
	}

	/** Reads the key's counter inside the transaction that bumped it. */
	final long selectToken(Connection connection, String key) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(
				"SELECT fencing_token FROM " + this.table.name() + " WHERE lock_key = ? AND lease_id = ''")) {
			statement.setString(1, key);
			try (ResultSet rs = statement.executeQuery()) {
				if (!rs.next()) {
					throw new SQLException("Counter row of the key vanished inside its transaction");
				}
				return rs.getLong(1);
			}
		}
	}

	/** The counter row's insert, with the token at 1: key. */
	final String insertKeyRow(String now) {
		return "INSERT INTO " + this.table.name() + " (" + LockTable.COLUMNS + ") VALUES (?, '', 'KEY', '', 0, '', 1, "
				+ now + ", " + now + ")";
	}

}
