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

	private final String selectLeases;

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
		String halfSlack = " + " + (WAIT_FLAG_SLACK_MILLIS / 2) + " * INTERVAL '1 millisecond'";
		// The release need not wait for its WAL flush: set_config(…, true) turns synchronous_commit off for this
		// statement's own transaction only (the implicit one in autocommit mode, the provider's explicit one
		// otherwise; the provider never runs it in a caller's transaction), so the pooled connection commits
		// synchronously again afterwards. Losing a release in a crash is safe: after the restart the lease row is
		// back and the key looks held until its TTL runs out by the database clock, which is what an unreleased
		// lease of a crashed process does anyway; no token is issued or reused by it (the grant, which bumps the
		// counter, still commits synchronously), so fencing is unaffected. Its NOTIFY is sent at commit as before.
		//
		// The release share-locks the key's counter row without waiting (SKIP LOCKED) and reads the wait flag
		// (its expires_at) from the version it locked, which is the latest committed one (under READ COMMITTED a
		// locking read follows the row's updates); it sends pg_notify while that flag is in the future, and always
		// when the row is locked by another transaction. Why no waiter misses the wake-up: every write of the
		// flag is made while holding a lock on that row that conflicts with the share lock (the grant
		// statement's row lock, or the UPDATE of flagWaiter), and every denial reads the leases after it holds
		// that lock (grant statement) or after its flag write committed (flagWaiter), or reads leases and flag in
		// one snapshot and writes nothing because the flag already outlasts its retry hint. Take a denial that
		// saw the lease live, so the release commits after the denial's snapshot. If the flag's writer holds the
		// row when the release tries to lock it, the release notifies unconditionally. If the writer committed
		// before, the release locks the version with the flag. If the release locked first, the writer waits for
		// the release's commit, so a writing denial then reads the lease as gone (no denial), and the flag a
		// read-only denial relies on, committed before its snapshot and so before the release's commit, cannot
		// have been written after the release's lock. A plain read of the flag (the statement's snapshot, taken
		// before a concurrent writer committed) missed it and sent nothing: the test
		// aReleaseRacingTheFirstDenialStillWakesTheWaiter. Never waiting for the row keeps the release off the
		// queue of grants and denials contending for it.
		this.release = "WITH released AS (DELETE FROM " + name + " WHERE lock_key = ? AND lease_id = ? AND lease_type = ?"
				+ " AND lease_id <> '' AND expires_at > now() RETURNING lock_key),"
				+ " flag AS (SELECT expires_at FROM " + name + " WHERE lock_key = ? AND lease_id = '' FOR SHARE SKIP LOCKED),"
				+ " notified AS (SELECT pg_notify(?, r.lock_key) FROM released r WHERE NOT EXISTS (SELECT 1 FROM flag)"
				+ " OR EXISTS (SELECT 1 FROM flag WHERE expires_at > now()))"
				// the release commits asynchronously (see above)
				+ " SELECT (SELECT count(*) FROM released), (SELECT count(*) FROM notified),"
				+ " set_config('synchronous_commit', 'off', true)";
		this.flagWaiter = "UPDATE " + name + " SET expires_at = " + NOW_PLUS_MILLIS
				+ " WHERE lock_key = ? AND lease_id = '' AND expires_at < " + NOW_PLUS_MILLIS;
		this.selectLeases = "SELECT l.lease_id, l.lease_type, l.permits, l.fencing_token, l.expires_at, now() AS db_now,"
				+ " (SELECT k.expires_at FROM " + name + " k WHERE k.lock_key = l.lock_key AND k.lease_id = '') AS wait_flag"
				+ " FROM " + name + " l WHERE l.lock_key = ? AND l.lease_id <> ''";
		this.lockAndExtend = readCommitted ? lockKeyRow() + "; " + extend() : null;
		// A denial writes nothing while the wait flag already outlasts the shortest live lease by half the slack:
		// the first statement then neither creates nor locks the counter row (INSERT … SELECT … WHERE finds no
		// row to insert), so the transaction gets no id and commits nothing. Otherwise it creates or locks the
		// row (DO UPDATE … WHERE false updates nothing but locks the existing row), which assigns the transaction
		// an id: the second statement writes only if it has one, that is, only under the lock.
		this.acquireWrite = readCommitted ? "INSERT INTO " + name + " (" + LockTable.COLUMNS
				+ ") SELECT ?, '', 'KEY', '', 0, '', 0, now(), now() WHERE NOT EXISTS (SELECT 1 FROM " + name + " k"
				+ " WHERE k.lock_key = ? AND k.lease_id = '' AND k.expires_at >= (SELECT min(o.expires_at) FROM " + name
				+ " o WHERE o.lock_key = ? AND o.lease_id <> '' AND o.expires_at > now())" + halfSlack
				+ " AND NOT EXISTS (SELECT 1 FROM " + name + " m WHERE m.lock_key = ? AND m.lease_id = ?"
				+ " AND m.expires_at > now())) ON CONFLICT (lock_key, lease_id)"
				+ " DO UPDATE SET fencing_token = " + name + ".fencing_token WHERE false;"
				+ " WITH held AS (SELECT txid_current_if_assigned() IS NOT NULL AS locked),"
				// a re-sent request (same lease id) finds its live lease, refreshes its expiry and keeps its token
				+ " mine AS (UPDATE " + name + " SET expires_at = " + NOW_PLUS_MILLIS
				+ " WHERE lock_key = ? AND lease_id = ? AND lease_type = 'WRITE' AND expires_at > now()"
				+ " AND (SELECT locked FROM held) RETURNING fencing_token),"
				+ " live AS (SELECT lease_id, expires_at FROM " + name
				+ " WHERE lock_key = ? AND lease_id <> '' AND expires_at > now()),"
				+ " granted AS (UPDATE " + name + " SET fencing_token = fencing_token + 1 WHERE lock_key = ?"
				+ " AND lease_id = '' AND NOT EXISTS (SELECT 1 FROM live) AND (SELECT locked FROM held)"
				+ " RETURNING fencing_token),"
				// an expired row of this lease id (a re-send after expiry) is not purged but overwritten by the insert,
				// so no row is touched twice in one statement
				+ " purged AS (DELETE FROM " + name + " WHERE lock_key = ? AND lease_id <> '' AND lease_id <> ?"
				+ " AND expires_at <= now() AND EXISTS (SELECT 1 FROM granted)),"
				+ " inserted AS (INSERT INTO " + name + " (" + LockTable.COLUMNS + ") SELECT ?, ?, 'WRITE', ?, 1, ?,"
				+ " fencing_token, now(), " + NOW_PLUS_MILLIS + " FROM granted"
				+ " ON CONFLICT (lock_key, lease_id) DO UPDATE SET lease_type = EXCLUDED.lease_type, owner = EXCLUDED.owner,"
				+ " permits = EXCLUDED.permits, metadata = EXCLUDED.metadata, fencing_token = EXCLUDED.fencing_token,"
				+ " locked_at = EXCLUDED.locked_at, expires_at = EXCLUDED.expires_at),"
				// a denial under the lock sets the wait flag past the retry hint, unless it already outlasts the
				// hint by half the slack (the condition of the first statement's read-only denial)
				+ " flagged AS (UPDATE " + name + " SET expires_at = (SELECT min(expires_at) FROM live) + "
				+ WAIT_FLAG_SLACK_MILLIS + " * INTERVAL '1 millisecond' WHERE lock_key = ? AND lease_id = ''"
				+ " AND expires_at < (SELECT min(expires_at) FROM live)" + halfSlack
				+ " AND NOT EXISTS (SELECT 1 FROM mine) AND (SELECT locked FROM held)),"
				+ " flag AS (SELECT expires_at FROM " + name + " WHERE lock_key = ? AND lease_id = '')"
				// without the lock (a read-only denial), the hint is given only if this snapshot, too, shows a flag
				// that outlasts it and no lease of this id; else 1 ms (retry at once). A denial need not wait for the
				// WAL flush: losing its lock or flag in a crash loses nothing (listeners reconnect and retry)
				+ " SELECT g.token, CASE WHEN g.token IS NULL AND ((SELECT locked FROM held) OR ((SELECT expires_at FROM flag)"
				+ " >= (SELECT min(expires_at) FROM live)" + halfSlack
				+ " AND NOT EXISTS (SELECT 1 FROM live WHERE lease_id = ?))) THEN"
				+ " (SELECT CAST(CEIL(EXTRACT(EPOCH FROM (min(expires_at) - now())) * 1000) AS BIGINT) FROM live) END,"
				+ " set_config('synchronous_commit', CASE WHEN g.token IS NULL THEN 'off'"
				+ " ELSE current_setting('synchronous_commit') END, true)"
				+ " FROM (SELECT COALESCE((SELECT fencing_token FROM mine), (SELECT fencing_token FROM granted)) AS token) g"
				: null;
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

	/** The key's lease rows with the database's time and the key's wait flag ({@code wait_flag}): key. */
	@Override
	String selectLeases() {
		return this.selectLeases;
	}

	/**
	 * Deletes a live lease and notifies while the wait flag is up (or its counter row is locked), with
	 * {@code synchronous_commit} off for its own transaction: key, lease id, type, key, channel. Returns one
	 * row: how many leases it deleted, how many notifications it sent.
	 */
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
	 * A WRITE grant in one round trip: the first statement locks (or creates) the key's counter row unless the
	 * request can be denied without writing (another live lease, none of this lease id, and a wait flag that
	 * outlasts the shortest live lease by half the slack); the second, with a snapshot taken after that lock,
	 * and only if the lock is held, refreshes a re-sent lease, or checks the live leases and only if there are
	 * none increments the token, purges expired rows and inserts the lease, or else raises the wait flag. It
	 * returns the token, or null and the shortest remaining TTL (null when the caller should retry at once),
	 * and commits a denial with {@code synchronous_commit} off. Parameters: key, key, key, key, lease id (the
	 * conditional lock); TTL, key, lease id (the re-send); key (live); key (grant); key, lease id (purge); key,
	 * lease id, owner, metadata, TTL (insert); key (flag raise); key (flag read); lease id (hint).
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
