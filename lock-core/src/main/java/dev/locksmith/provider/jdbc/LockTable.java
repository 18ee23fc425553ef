package dev.locksmith.provider.jdbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Locale;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;
import dev.locksmith.spi.KeyText;
import dev.locksmith.spi.LeaseRequest;

/**
 * The lock table shared by table mode and advisory mode ({@code schema-<platform>.sql}): its name, its
 * column list, identifier checks, schema verification, row mapping, and the column limits checked before any
 * SQL runs, so that bad input fails at once with an {@link IllegalArgumentException} instead of as a
 * database error.
 *
 * <p>A key's counter row has {@code lease_id = ''} and {@code lease_type = 'KEY'}; every other row is a
 * lease.
 */
final class LockTable {

	/** Every column, in the order of the schema scripts: the one place the column list is written. */
	static final String COLUMNS = "lock_key, lease_id, lease_type, owner, permits, metadata, fencing_token, locked_at,"
			+ " expires_at";

	private static final Pattern IDENTIFIER = Pattern
		.compile("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?");

	/**
	 * Characters in {@code lock_key} ({@code VARCHAR(512)}): the whole backend key, the service's key prefix
	 * included, counted in Unicode characters (all supported databases count characters, not bytes).
	 */
	static final int MAX_KEY_CHARS = 512;

	/** Characters in {@code lease_id} ({@code VARCHAR(128)}). */
	static final int MAX_LEASE_ID_CHARS = 128;

	/** Characters in {@code owner} ({@code VARCHAR(255)}). */
	static final int MAX_OWNER_CHARS = 255;

	/**
	 * Characters in {@code metadata} ({@code VARCHAR(4000)}), which holds the map URL-encoded (see
	 * {@link MetadataCodec}): an ASCII letter takes one, a non-ASCII character 6 to 12 (UTF-8 bytes as
	 * {@code %XX}).
	 */
	static final int MAX_METADATA_CHARS = 4000;

	private final String name;

	/**
	 * Creates the table's description.
	 * @param name the table name, already checked with {@link #checkIdentifier}
	 */
	LockTable(String name) {
		this.name = name;
	}

	/**
	 * Returns the table name (possibly schema-qualified).
	 * @return the name
	 */
	String name() {
		return this.name;
	}

	/**
	 * Returns the PostgreSQL {@code NOTIFY} channel of this table's releases: the lower-case name with the
	 * schema's dot replaced.
	 * @return the channel
	 */
	String channel() {
		return this.name.toLowerCase(Locale.ROOT).replace('.', '_');
	}

	/**
	 * Checks that the table exists with every column.
	 * @param dataSource the database
	 * @param platform the platform, to name the schema script in the message
	 * @throws IllegalStateException naming the table and the schema script when it is missing or incomplete
	 */
	void verify(DataSource dataSource, String platform) {
		try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
			statement.executeQuery("SELECT " + COLUMNS + " FROM " + this.name + " WHERE 1 = 0").close();
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Locksmith lock table '" + this.name + "' is missing or lacks columns ("
					+ COLUMNS + "). Create it with the script classpath:dev/locksmith/provider/jdbc/schema-" + platform
					+ ".sql, or set locksmith.jdbc.initialize-schema=always. Database error: " + ex.getMessage(), ex);
		}
	}

	/**
	 * Maps a row selected with {@link #COLUMNS} to a lease.
	 * @param rs the result set, on the row
	 * @param times how the database's timestamps are read
	 * @return the lease
	 * @throws SQLException on a database error
	 */
	static LeaseInfo readLease(ResultSet rs, InstantReader times) throws SQLException {
		return new LeaseInfo(rs.getString("lease_id"), rs.getString("owner"), LeaseType.valueOf(rs.getString("lease_type")),
				rs.getInt("permits"), rs.getLong("fencing_token"), times.read(rs, "locked_at"), times.read(rs, "expires_at"),
				MetadataCodec.decode(rs.getString("metadata")));
	}

	/**
	 * Reads a {@code TIMESTAMP WITH TIME ZONE} column (PostgreSQL, H2).
	 * @param rs the result set
	 * @param column the column label
	 * @return the instant
	 * @throws SQLException on a database error
	 */
	static Instant readTimestampWithTimeZone(ResultSet rs, String column) throws SQLException {
		return rs.getObject(column, OffsetDateTime.class).toInstant();
	}

	/**
	 * Checks a table or sequence name.
	 * @param name the name
	 * @param what the method or property to name in the message
	 * @return the name
	 * @throws IllegalArgumentException if the name is not a plain, optionally schema-qualified SQL identifier
	 */
	static String checkIdentifier(String name, String what) {
		if (name == null || !IDENTIFIER.matcher(name).matches()) {
			throw new IllegalArgumentException(what + ": '" + name
					+ "' is not a valid SQL identifier (letters, digits and underscores, at most 63, not starting "
					+ "with a digit; optionally schema-qualified as schema.name)");
		}
		return name;
	}

	/**
	 * Checks a request against the column limits and its TTL against the 1 ms resolution of the database.
	 * @param request the request
	 * @param method the method to name in the message ({@code JdbcLockProvider.acquire})
	 * @throws IllegalArgumentException naming the limit
	 */
	static void checkRequest(LeaseRequest request, String method) {
		checkKey(request.key(), method);
		checkTtl(request.ttl(), method);
		int leaseId = request.leaseId().length();
		if (leaseId == 0 || leaseId > MAX_LEASE_ID_CHARS) {
			throw new IllegalArgumentException(method + ": lease id must have 1 to " + MAX_LEASE_ID_CHARS
					+ " characters, got " + leaseId);
		}
		int owner = request.owner().codePointCount(0, request.owner().length());
		if (owner > MAX_OWNER_CHARS) {
			throw new IllegalArgumentException(method + ": owner id has " + owner + " characters; the lock table's owner"
					+ " column holds at most " + MAX_OWNER_CHARS);
		}
		int metadata = MetadataCodec.encode(request.metadata()).length();
		if (metadata > MAX_METADATA_CHARS) {
			throw new IllegalArgumentException(method + ": metadata of '" + KeyText.forMessage(request.key())
					+ "' takes " + metadata + " characters URL-encoded; the lock table's metadata column holds at most "
					+ MAX_METADATA_CHARS + " (a non-ASCII character takes 6 to 12)");
		}
	}

	/**
	 * Checks that a key fits the {@code lock_key} column.
	 * @param key the backend key (with the service's key prefix)
	 * @param method the method to name in the message
	 * @return the key
	 * @throws IllegalArgumentException naming the limit
	 */
	static String checkKey(String key, String method) {
		if (key.length() > MAX_KEY_CHARS) {
			int chars = key.codePointCount(0, key.length());
			if (chars > MAX_KEY_CHARS) {
				throw new IllegalArgumentException(method + ": key '" + KeyText.forMessage(key) + "' has " + chars
						+ " characters with its key prefix; the lock table's lock_key column holds at most "
						+ MAX_KEY_CHARS);
			}
		}
		return key;
	}

	/**
	 * The longest TTL (365 days, as for Redis): a longer one is a mistake, and a huge one overflows the
	 * database's timestamps (or a long of milliseconds) only once SQL runs.
	 */
	static final Duration MAX_TTL = Duration.ofDays(365);

	/**
	 * Checks that a TTL is at least one millisecond (the database stores expiry in milliseconds, and a
	 * shorter TTL would be truncated to zero: a lease dead on arrival) and at most {@link #MAX_TTL}.
	 * @param ttl the TTL
	 * @param method the method to name in the message
	 * @throws IllegalArgumentException if the TTL is shorter than 1 ms or longer than 365 days
	 */
	static void checkTtl(Duration ttl, String method) {
		if (ttl.compareTo(MAX_TTL) > 0) {
			throw new IllegalArgumentException(method + ": ttl must be at most 365 days, got " + ttl);
		}
		if (ttl.toMillis() < 1) {
			throw new IllegalArgumentException(method + ": ttl must be at least 1 ms, got " + ttl);
		}
	}

	/**
	 * Reads a timestamp column as an instant, the way the database stores it.
	 */
	@FunctionalInterface
	interface InstantReader {

		/**
		 * Reads the column.
		 * @param rs the result set
		 * @param column the column label
		 * @return the instant
		 * @throws SQLException on a database error
		 */
		Instant read(ResultSet rs, String column) throws SQLException;

	}

}
