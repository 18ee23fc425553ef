package dev.locksmith.provider.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

import org.jspecify.annotations.Nullable;

/**
 * Table mode on PostgreSQL: {@code now()}, {@code timestamptz} columns, the key's counter bumped with
 * {@code INSERT … ON CONFLICT … DO UPDATE … RETURNING}, releases that {@code NOTIFY} while the key's wait flag
 * is up, and (with {@code READ COMMITTED} connections) one-round-trip grants, extensions and renewals: two
 * statements sent together, which the server runs as one implicit transaction, the first locking the key's
 * counter row and the second, whose snapshot is taken after that lock was granted, doing the work.
 */
final class PostgresTableStatements extends TableStatements {

	/**
	 * How long the wait flag set by a denial outlives the denial's retry hint: a waiter retries when the hint
	 * is up, and its retry, if denied, renews the flag.
	 */
	static final long WAIT_FLAG_SLACK_MILLIS = 2_000L;

	private static final String NOW_PLUS_MILLIS = "(now() + CAST(? AS BIGINT) * INTERVAL '1 millisecond')";

	private final String bumpCounter;

	private final String release;

	private final String flagWaiter;

	private final @Nullable String acquireWrite;

	private final @Nullable String lockAndExtend;

	private final String lockKeyRows;

	private final @Nullable String renewAll;

	/**
	 * Builds the statements.
	 * @param table the lock table
	 * @param readCommitted whether the pool's connections are {@code READ COMMITTED}, which the one-round-trip
	 * statements rely on
	 */
	PostgresTableStatements(LockTable table, boolean readCommitted) {
		super(table, "now()", NOW_PLUS_MILLIS);
		String name = table.name();
		this.bumpCounter = insertKeyRow("now()") + " ON CONFLICT (lock_key, lease_id) DO UPDATE SET fencing_token = "
				+ name + ".fencing_token + 1 RETURNING fencing_token";
		// The release need not wait for its WAL flush: set_config(…, true) turns synchronous_commit off for this
		// statement's own transaction only (the implicit one in autocommit mode, the provider's explicit one
		// otherwise; the provider never runs it in a caller's transaction), so the pooled connection commits
		// synchronously again afterwards. Losing a release in a crash is safe: after the restart the lease row is
		// back and the key looks held until its TTL runs out by the database clock, which is what an unreleased
		// lease of a crashed process does anyway; no token is issued or reused by it (the grant, which bumps the
		// counter, still commits synchronously), so fencing is unaffected. Its NOTIFY is sent at commit as before.
		// pg_notify only while the key row's wait flag (its expires_at) is in the future; the flag is looked up by
		// the key parameter: correlated with the CTE, the lookup got slower as the table grew
		this.release = "WITH released AS (DELETE FROM " + name + " WHERE lock_key = ? AND lease_id = ? AND lease_type = ?"
				+ " AND lease_id <> '' AND expires_at > now() RETURNING lock_key),"
				+ " notified AS (SELECT pg_notify(?, r.lock_key) FROM released r WHERE EXISTS (SELECT 1 FROM " + name
				+ " k WHERE k.lock_key = ? AND k.lease_id = '' AND k.expires_at > now()))"
				// the release commits asynchronously (see the comment above)
				+ " SELECT (SELECT count(*) FROM notified), set_config('synchronous_commit', 'off', true) FROM released";
		this.flagWaiter = "UPDATE " + name + " SET expires_at = GREATEST(expires_at, " + NOW_PLUS_MILLIS + ")"
				+ " WHERE lock_key = ? AND lease_id = ''";
		this.lockAndExtend = readCommitted ? lockKeyRow() + "; " + extend() : null;
		this.acquireWrite = readCommitted ? "INSERT INTO " + name + " (" + LockTable.COLUMNS
				+ ") VALUES (?, '', 'KEY', '', 0, '', 0, now(), now()) ON CONFLICT (lock_key, lease_id)"
				// DO UPDATE … WHERE false updates nothing but locks the existing row
				+ " DO UPDATE SET fencing_token = " + name + ".fencing_token WHERE false;"
				// a re-sent request (same lease id) finds its live lease, refreshes its expiry and keeps its token
				+ " WITH mine AS (UPDATE " + name + " SET expires_at = " + NOW_PLUS_MILLIS
				+ " WHERE lock_key = ? AND lease_id = ? AND lease_type = 'WRITE' AND expires_at > now()"
				+ " RETURNING fencing_token),"
				+ " live AS (SELECT expires_at FROM " + name + " WHERE lock_key = ? AND lease_id <> '' AND expires_at > now()),"
				+ " granted AS (UPDATE " + name + " SET fencing_token = fencing_token + 1 WHERE lock_key = ?"
				+ " AND lease_id = '' AND NOT EXISTS (SELECT 1 FROM live) RETURNING fencing_token),"
				// an expired row of this lease id (a re-send after expiry) is not purged but overwritten by the insert,
				// so no row is touched twice in one statement
				+ " purged AS (DELETE FROM " + name + " WHERE lock_key = ? AND lease_id <> '' AND lease_id <> ?"
				+ " AND expires_at <= now() AND EXISTS (SELECT 1 FROM granted)),"
				+ " inserted AS (INSERT INTO " + name + " (" + LockTable.COLUMNS + ") SELECT ?, ?, 'WRITE', ?, 1, ?,"
				+ " fencing_token, now(), " + NOW_PLUS_MILLIS + " FROM granted"
				+ " ON CONFLICT (lock_key, lease_id) DO UPDATE SET lease_type = EXCLUDED.lease_type, owner = EXCLUDED.owner,"
				+ " permits = EXCLUDED.permits, metadata = EXCLUDED.metadata, fencing_token = EXCLUDED.fencing_token,"
				+ " locked_at = EXCLUDED.locked_at, expires_at = EXCLUDED.expires_at),"
				// a denial sets the wait flag (the key row's expires_at) past the retry hint, unless it already
				// outlasts the hint by half the slack (so a stream of denials rarely writes)
				+ " flagged AS (UPDATE " + name + " SET expires_at = (SELECT min(expires_at) FROM live) + "
				+ WAIT_FLAG_SLACK_MILLIS + " * INTERVAL '1 millisecond' WHERE lock_key = ? AND lease_id = ''"
				+ " AND expires_at < (SELECT min(expires_at) FROM live) + " + (WAIT_FLAG_SLACK_MILLIS / 2)
				+ " * INTERVAL '1 millisecond' AND NOT EXISTS (SELECT 1 FROM mine))"
				+ " SELECT COALESCE((SELECT fencing_token FROM mine), (SELECT fencing_token FROM granted)),"
				+ " (SELECT CAST(CEIL(EXTRACT(EPOCH FROM (min(expires_at) - now())) * 1000) AS BIGINT) FROM live)" : null;
		// the counter rows are locked in the database's byte order whatever the column's collation, by this one
		// statement on both renewal paths (a Java order cannot match the bytes of every server encoding), so two
		// renewals sharing keys cannot deadlock
		this.lockKeyRows = "SELECT 1 FROM " + name + " WHERE lock_key = ANY (CAST(? AS text[]))"
				+ " AND lease_id = '' ORDER BY lock_key COLLATE \"C\" FOR UPDATE";
		this.renewAll = readCommitted ? this.lockKeyRows + "; UPDATE " + name
				+ " t SET expires_at = now() + r.ttl * INTERVAL '1 millisecond' FROM unnest(CAST(? AS text[]),"
				+ " CAST(? AS text[]), CAST(? AS text[]), CAST(? AS bigint[])) AS r(lock_key, lease_id, lease_type, ttl)"
				+ " WHERE t.lock_key = r.lock_key AND t.lease_id = r.lease_id AND t.lease_type = r.lease_type"
				+ " AND t.lease_id <> '' AND t.expires_at > now() RETURNING t.lock_key, t.lease_id, t.lease_type" : null;
	}

	@Override
	String release() {
		return this.release;
	}

	@Override
	boolean releaseNotifies() {
		return true;
	}

	@Override
	String notifyRelease() {
		return "SELECT pg_notify(?, ?)";
	}

	/**
	 * A WRITE grant in one round trip: the first statement locks the key's counter row; the second, with a
	 * snapshot taken after that lock, refreshes a re-sent lease, or checks the live leases and only if there
	 * are none increments the token, purges expired rows and inserts the lease, or else raises the wait flag.
	 * It returns the token, or null and the shortest remaining TTL. Parameters: key; TTL, key, lease id (the
	 * re-send); key (live); key (grant); key, lease id (purge); key, lease id, owner, metadata, TTL (insert);
	 * key (flag).
	 */
	@Override
	@Nullable String acquireWrite() {
		return this.acquireWrite;
	}

	@Override
	@Nullable String lockAndExtend() {
		return this.lockAndExtend;
	}

	@Override
	String lockKeyRows() {
		return this.lockKeyRows;
	}

	@Override
	@Nullable String renewAll() {
		return this.renewAll;
	}

	@Override
	String flagWaiter() {
		return this.flagWaiter;
	}

	@Override
	long bumpKeyCounter(Connection connection, String key) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(this.bumpCounter)) {
			statement.setString(1, key);
			try (ResultSet rs = statement.executeQuery()) {
				rs.next();
				return rs.getLong(1);
			}
		}
	}

}
