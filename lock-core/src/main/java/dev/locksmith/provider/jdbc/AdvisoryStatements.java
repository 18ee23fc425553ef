package dev.locksmith.provider.jdbc;

/**
 * The SQL of advisory mode, built once per provider from the lock table and the fencing sequence; the provider
 * and its sessions only bind and run it. Parameters are listed in each method's javadoc, in order.
 */
final class AdvisoryStatements {

	/**
	 * How far ahead a denied acquisition sets the key's wait flag (see
	 * {@link PostgresAdvisoryLockProvider#WAIT_FLAG_MILLIS}).
	 */
	private static final long WAIT_FLAG_MILLIS = PostgresAdvisoryLockProvider.WAIT_FLAG_MILLIS;

	/** Advisory locks of this database whose ids are bound as {@code classid} and {@code objid}. */
	private static final String ADVISORY_LOCKS = "pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
			+ " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
			+ " AND classid::bigint = ? AND objid::bigint = ?";

	private final String writeGrant;

	private final String releaseHeld;

	private final String writeGrantWaiting;

	private final String reducePermits;

	private final String flagWaiter;

	private final String nextToken;

	private final String record;

	private final String releaseRecord;

	private final String extend;

	private final String remainingMillis;

	private final String recordExists;

	private final String deleteLostRecord;

	private final String inspect;

	private final String listKeys;

	private final String deleteRecords;

	/**
	 * Builds the statements.
	 * @param table the lock table that records the leases
	 * @param sequence the fencing-token sequence, an identifier already checked
	 */
	AdvisoryStatements(LockTable table, String sequence) {
		String name = table.name();
		String nowPlusMillis = "now() + CAST(? AS BIGINT) * INTERVAL '1 millisecond'";
		this.writeGrant = "WITH grant_ AS (SELECT CASE WHEN pg_try_advisory_lock(?) THEN nextval('" + sequence
				+ "') ELSE 0 END AS token),"
				+ " stale AS (DELETE FROM " + name + " WHERE lock_key = ? AND lease_id <> ''"
				+ " AND (SELECT token FROM grant_) > 0),"
				+ " recorded AS (INSERT INTO " + name + " (" + LockTable.COLUMNS + ") SELECT ?, ?, ?, ?, 1, ?, token, now(), "
				+ nowPlusMillis + " FROM grant_ WHERE token > 0),"
				+ " flagged AS (" + flagWaiter(name, "(SELECT token FROM grant_) = 0") + ")"
				// a denial only (maybe) raises the wait flag: it need not wait for the WAL flush
				+ " SELECT token, set_config('synchronous_commit', CASE WHEN token > 0 THEN"
				+ " current_setting('synchronous_commit') ELSE 'off' END, true) FROM grant_";
		// The same grant, waiting in the server's lock queue: lock_timeout (local to this statement's implicit
		// transaction) is set before the lock is requested (OFFSET 0 keeps the subquery, and so its order,
		// intact), and the times come from clock_timestamp(), since now() is when the wait began.
		String clockPlusMillis = "clock_timestamp() + CAST(? AS BIGINT) * INTERVAL '1 millisecond'";
		this.writeGrantWaiting = "WITH grant_ AS (SELECT nextval('" + sequence + "') AS token FROM (SELECT"
				+ " set_config('lock_timeout', ?, true) AS timeout_, pg_advisory_lock(?) AS locked_ OFFSET 0) AS waited),"
				+ " stale AS (DELETE FROM " + name + " WHERE lock_key = ? AND lease_id <> ''"
				+ " AND (SELECT token FROM grant_) > 0),"
				+ " recorded AS (INSERT INTO " + name + " (" + LockTable.COLUMNS + ") SELECT ?, ?, ?, ?, 1, ?, token,"
				+ " clock_timestamp(), " + clockPlusMillis + " FROM grant_)"
				+ " SELECT token FROM grant_";
		// The record's deletion need not wait for the WAL flush: after a crash the session and its locks are
		// gone too, and a record counts as live only while its advisory lock is held.
		this.reducePermits = "WITH mine AS MATERIALIZED (SELECT s FROM generate_series(0, ?) s WHERE EXISTS (SELECT 1"
				+ " FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND pid = pg_backend_pid()"
				+ " AND mode = 'ExclusiveLock' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
				+ " AND classid::bigint = ((? # s::bigint) >> 32) & 4294967295 AND objid::bigint = (? # s::bigint) & 4294967295)"
				+ " LIMIT ?),"
				+ " freed AS (SELECT count(*) FILTER (WHERE pg_advisory_unlock(? # s::bigint)) AS n FROM mine),"
				+ " recorded AS (UPDATE " + name + " SET permits = ? WHERE lock_key = ? AND lease_id = ? RETURNING 1),"
				+ " notified AS (SELECT pg_notify(?, ?) WHERE EXISTS (SELECT 1 FROM " + name
				+ " WHERE lock_key = ? AND lease_id = '' AND expires_at > now()))"
				+ " SELECT (SELECT n FROM freed), (SELECT count(*) FROM recorded), (SELECT count(*) FROM notified)";
		this.releaseHeld = "WITH gone AS (DELETE FROM " + name + " WHERE lock_key = ? AND lease_id = ?),"
				+ " notified AS (SELECT pg_notify(?, ?) WHERE EXISTS (SELECT 1 FROM " + name
				+ " WHERE lock_key = ? AND lease_id = '' AND expires_at > now()))"
				+ " SELECT pg_advisory_unlock_all(), (SELECT count(*) FROM notified),"
				+ " set_config('synchronous_commit', 'off', true)";
		this.flagWaiter = flagWaiter(name, "true");
		this.nextToken = "SELECT nextval('" + sequence + "')";
		// a record of the same lease id is left by an earlier attempt whose reply was lost (its session, aborted,
		// took its locks with it): this session holds the locks now, so the record is overwritten
		this.record = "INSERT INTO " + name + " (" + LockTable.COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, now(), "
				+ nowPlusMillis + ") ON CONFLICT (lock_key, lease_id) DO UPDATE SET lease_type = EXCLUDED.lease_type,"
				+ " owner = EXCLUDED.owner, permits = EXCLUDED.permits, metadata = EXCLUDED.metadata,"
				+ " fencing_token = EXCLUDED.fencing_token, locked_at = EXCLUDED.locked_at, expires_at = EXCLUDED.expires_at";
		this.releaseRecord = "WITH gone AS (DELETE FROM " + name + " WHERE lock_key = ? AND lease_id = ? AND lease_type = ?"
				+ " AND expires_at > now() RETURNING lock_key) SELECT pg_notify(?, lock_key) FROM gone";
		this.extend = "UPDATE " + name + " SET expires_at = " + nowPlusMillis
				+ " WHERE lock_key = ? AND lease_id = ? AND lease_type = ? AND expires_at > now()";
		this.remainingMillis = "SELECT CAST(CEIL(EXTRACT(EPOCH FROM (expires_at - now())) * 1000) AS BIGINT) FROM " + name
				+ " WHERE lock_key = ? AND lease_id = ?";
		this.recordExists = "SELECT EXISTS (SELECT 1 FROM " + name + " WHERE lock_key = ? AND lease_id = ?)";
		this.deleteLostRecord = "WITH gone AS (DELETE FROM " + name + " WHERE lock_key = ? AND lease_id = ?)"
				+ " SELECT pg_notify(?, ?)";
		this.inspect = "SELECT " + LockTable.COLUMNS + " FROM " + name
				+ " WHERE lock_key = ? AND lease_id <> '' AND expires_at > now() AND EXISTS (SELECT 1 FROM "
				+ ADVISORY_LOCKS + ") ORDER BY fencing_token";
		this.listKeys = "SELECT DISTINCT lock_key FROM " + name
				+ " WHERE lock_key LIKE ? ESCAPE '!' AND lease_id <> '' AND expires_at > now() ORDER BY lock_key";
		this.deleteRecords = "WITH gone AS (DELETE FROM " + name + " WHERE lock_key = ? AND lease_id <> '')"
				+ " SELECT pg_notify(?, ?)";
	}

	/**
	 * The statement that raises a key's wait flag to {@value #WAIT_FLAG_MILLIS} ms ahead, unless more than half
	 * of that is still left. Parameters: the key, twice.
	 */
	private static String flagWaiter(String table, String condition) {
		return "INSERT INTO " + table + " AS k (" + LockTable.COLUMNS + ") SELECT ?, '', 'KEY', '', 0, '', 0, now(),"
				+ " now() + " + WAIT_FLAG_MILLIS + " * INTERVAL '1 millisecond' WHERE " + condition
				+ " AND NOT EXISTS (SELECT 1 FROM " + table + " WHERE lock_key = ? AND lease_id = '' AND expires_at > now() + "
				+ (WAIT_FLAG_MILLIS / 2) + " * INTERVAL '1 millisecond') ON CONFLICT (lock_key, lease_id) DO UPDATE"
				+ " SET expires_at = GREATEST(k.expires_at, EXCLUDED.expires_at)";
	}

	/**
	 * A WRITE grant in one statement: takes the main lock and only if that succeeded draws the token and records
	 * the lease (purging the records of dead sessions on the key), or else raises the wait flag; returns the
	 * token or 0. Parameters: main lock id; key (purge); key, lease id, type, owner, metadata, TTL (record);
	 * key, key (flag).
	 */
	String writeGrant() {
		return this.writeGrant;
	}

	/**
	 * Waits in the server's lock queue for the key's main lock (bounded by {@code lock_timeout}), then draws
	 * the token and records the lease, like {@link #writeGrant()}. Parameters: lock_timeout text (e.g.
	 * {@code 900ms}), lock id, key (stale records), key, lease id, type, owner, metadata, ttl ms. Fails with
	 * SQLState {@code 55P03} when the timeout passed.
	 * @return the SQL
	 */
	String writeGrantWaiting() {
		return this.writeGrantWaiting;
	}

	/**
	 * A held lease's release on its pinned session: deletes the record, unlocks everything, and notifies if the
	 * key is flagged. Parameters: key, lease id, channel, key, key.
	 */
	String releaseHeld() {
		return this.releaseHeld;
	}

	/** Raises a key's wait flag after a denied READ or PERMITS attempt: key, key. */
	String flagWaiter() {
		return this.flagWaiter;
	}

	/** Takes the main lock shared and then a kind's lock shared: main id, kind id; returns whether both. */
	String trySharedKind() {
		return "SELECT CASE WHEN pg_try_advisory_lock_shared(?) THEN pg_try_advisory_lock_shared(?) ELSE false END";
	}

	/** Whether another session holds an advisory lock: class id, object id. */
	String heldByOthers() {
		return "SELECT EXISTS (SELECT 1 FROM " + ADVISORY_LOCKS + " AND pid <> pg_backend_pid())";
	}

	/** Takes up to the wanted number of free semaphore slots: last slot, slot base id, permits; returns how many. */
	String takePermitSlots() {
		return "SELECT count(*) FROM (SELECT s FROM generate_series(0, ?) s WHERE pg_try_advisory_lock(? # s::bigint)"
				+ " LIMIT ?) taken";
	}

	/**
	 * Gives back some of the semaphore slots this session holds for a permit lease, records the new count and
	 * notifies waiters if the wait flag is up: last slot, slot base id (three times), slots to free, permits
	 * kept, key, lease id, channel, key, key. Returns the slots freed, the records updated and the
	 * notifications sent.
	 */
	String reducePermits() {
		return this.reducePermits;
	}

	/** Draws a fencing token. */
	String nextToken() {
		return this.nextToken;
	}

	/**
	 * Records a lease, overwriting a record of the same lease id: key, lease id, type, owner, permits, metadata,
	 * token, TTL in ms.
	 */
	String record() {
		return this.record;
	}

	/**
	 * Deletes the live record of a lease held by another instance, notifying waiters: key, lease id, type,
	 * channel; returns a row if it deleted one.
	 */
	String releaseRecord() {
		return this.releaseRecord;
	}

	/** Sets a live record's expiry to now + TTL: TTL in ms, key, lease id, type. */
	String extend() {
		return this.extend;
	}

	/** A record's remaining TTL in ms by the database clock: key, lease id. */
	String remainingMillis() {
		return this.remainingMillis;
	}

	/** Whether a lease's record still exists: key, lease id. */
	String recordExists() {
		return this.recordExists;
	}

	/** Deletes a lost lease's record and notifies waiters: key, lease id, channel, key. */
	String deleteLostRecord() {
		return this.deleteLostRecord;
	}

	/** The key's recorded live leases whose main lock is held: key, class id, object id. */
	String inspect() {
		return this.inspect;
	}

	/** Keys with live records matching a {@code LIKE} pattern (escape {@code !}): pattern. */
	String listKeys() {
		return this.listKeys;
	}

	/** The other sessions holding an advisory lock: class id, object id; returns their pids. */
	String holders() {
		return "SELECT pid FROM " + ADVISORY_LOCKS + " AND pid <> pg_backend_pid()";
	}

	/** Terminates a session: pid. */
	String terminate() {
		return "SELECT pg_terminate_backend(?)";
	}

	/** Deletes every record of the key and notifies waiters: key, channel, key. */
	String deleteRecords() {
		return this.deleteRecords;
	}

	/** Gives back every advisory lock of the session. */
	String unlockAll() {
		return "SELECT pg_advisory_unlock_all()";
	}

	/** Whether a relation (the sequence) exists: name. */
	static String relationExists() {
		return "SELECT to_regclass(?) IS NOT NULL";
	}

	/**
	 * Creates the sequence if missing.
	 * @param sequence the sequence name, an identifier already checked
	 * @return the statement
	 */
	static String createSequence(String sequence) {
		return "CREATE SEQUENCE IF NOT EXISTS " + sequence;
	}

}
