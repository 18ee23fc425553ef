package dev.locksmith.provider.jdbc;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Locale;

/**
 * The few pieces of SQL that differ between the supported databases: the database's clock, adding a
 * TTL to it, reading a timestamp back, and "lock the key's counter row and bump its fencing token",
 * which creates the row when it is missing without ever failing under concurrency.
 */
enum JdbcDialect {

	/** PostgreSQL: {@code now()}, timestamptz columns, {@code INSERT … ON CONFLICT … DO UPDATE … RETURNING}. */
	POSTGRESQL("postgresql", "now()", "(now() + CAST(? AS BIGINT) * INTERVAL '1 millisecond')") {

		@Override
		long lockKeyRow(Connection connection, String table, String key) throws SQLException {
			String sql = "INSERT INTO " + table + " (" + KEY_ROW_COLUMNS + ") VALUES (?, '', 'KEY', '', 0, '', 1, now(), now())"
					+ " ON CONFLICT (lock_key, lease_id) DO UPDATE SET fencing_token = " + table
					+ ".fencing_token + 1 RETURNING fencing_token";
			try (PreparedStatement statement = connection.prepareStatement(sql)) {
				statement.setString(1, key);
				try (ResultSet rs = statement.executeQuery()) {
					rs.next();
					return rs.getLong(1);
				}
			}
		}

	},

	/** H2 2.x: {@code CURRENT_TIMESTAMP}, timestamp-with-time-zone columns, update-or-insert. */
	H2("h2", "CURRENT_TIMESTAMP", "DATEADD(MILLISECOND, CAST(? AS BIGINT), CURRENT_TIMESTAMP)") {

		@Override
		long lockKeyRow(Connection connection, String table, String key) throws SQLException {
			return updateOrInsertKeyRow(connection, table, key, this);
		}

	},

	/** MySQL 8 (InnoDB): {@code UTC_TIMESTAMP(3)}, DATETIME(3) columns, {@code ON DUPLICATE KEY UPDATE}. */
	MYSQL("mysql", "UTC_TIMESTAMP(3)", "TIMESTAMPADD(MICROSECOND, CAST(? AS SIGNED) * 1000, UTC_TIMESTAMP(3))") {

		@Override
		long lockKeyRow(Connection connection, String table, String key) throws SQLException {
			return upsertKeyRowOnDuplicate(connection, table, key, this);
		}

		@Override
		Instant readInstant(ResultSet rs, String column) throws SQLException {
			return rs.getObject(column, LocalDateTime.class).toInstant(ZoneOffset.UTC);
		}

	},

	/** MariaDB 10.6+ (InnoDB): the same SQL as MySQL. */
	MARIADB("mariadb", "UTC_TIMESTAMP(3)", "TIMESTAMPADD(MICROSECOND, CAST(? AS SIGNED) * 1000, UTC_TIMESTAMP(3))") {

		@Override
		long lockKeyRow(Connection connection, String table, String key) throws SQLException {
			return upsertKeyRowOnDuplicate(connection, table, key, this);
		}

		@Override
		Instant readInstant(ResultSet rs, String column) throws SQLException {
			return rs.getObject(column, LocalDateTime.class).toInstant(ZoneOffset.UTC);
		}

	};

	private static final String KEY_ROW_COLUMNS = "lock_key, lease_id, lease_type, owner, permits, metadata, fencing_token, locked_at, expires_at";

	private final String platform;

	private final String now;

	private final String nowPlusMillis;

	JdbcDialect(String platform, String now, String nowPlusMillis) {
		this.platform = platform;
		this.now = now;
		this.nowPlusMillis = nowPlusMillis;
	}

	/**
	 * Detects the dialect from the connection's database product name.
	 * @param metaData the connection's metadata
	 * @return the dialect
	 * @throws SQLException if the metadata cannot be read
	 * @throws IllegalStateException if the database is not supported
	 */
	static JdbcDialect detect(DatabaseMetaData metaData) throws SQLException {
		String product = metaData.getDatabaseProductName();
		String name = (product != null) ? product.toLowerCase(Locale.ROOT) : "";
		if (name.contains("postgresql")) {
			return POSTGRESQL;
		}
		if (name.equals("h2")) {
			return H2;
		}
		if (name.contains("mariadb")) {
			return MARIADB;
		}
		if (name.contains("mysql")) {
			// MariaDB drivers may report MySQL; the version string tells.
			String version = metaData.getDatabaseProductVersion();
			return (version != null && version.toLowerCase(Locale.ROOT).contains("mariadb")) ? MARIADB : MYSQL;
		}
		throw new IllegalStateException("Locksmith's JDBC lock provider does not support the database '" + product
				+ "'; supported: PostgreSQL, H2, MySQL, MariaDB");
	}

	/**
	 * Returns the platform name used in the schema script's file name ({@code schema-<platform>.sql}).
	 * @return the platform
	 */
	String platform() {
		return this.platform;
	}

	/**
	 * Returns the SQL expression for the database's current time.
	 * @return the expression
	 */
	String now() {
		return this.now;
	}

	/**
	 * Returns the SQL expression for the database's current time plus a number of milliseconds bound to
	 * one {@code ?} parameter.
	 * @return the expression
	 */
	String nowPlusMillis() {
		return this.nowPlusMillis;
	}

	/**
	 * Locks the key's counter row for the rest of the current transaction, creating it when missing, and
	 * increments its fencing token in the same step.
	 * @param connection a connection inside a transaction
	 * @param table the table name
	 * @param key the key
	 * @return the incremented fencing token
	 * @throws SQLException on a database error
	 */
	abstract long lockKeyRow(Connection connection, String table, String key) throws SQLException;

	/**
	 * Reads a timestamp column as an instant.
	 * @param rs the result set
	 * @param column the column label
	 * @return the instant
	 * @throws SQLException on a database error
	 */
	Instant readInstant(ResultSet rs, String column) throws SQLException {
		return rs.getObject(column, OffsetDateTime.class).toInstant();
	}

	private static long upsertKeyRowOnDuplicate(Connection connection, String table, String key, JdbcDialect dialect)
			throws SQLException {
		String upsert = "INSERT INTO " + table + " (" + KEY_ROW_COLUMNS + ") VALUES (?, '', 'KEY', '', 0, '', 1, "
				+ dialect.now + ", " + dialect.now + ") ON DUPLICATE KEY UPDATE fencing_token = fencing_token + 1";
		try (PreparedStatement statement = connection.prepareStatement(upsert)) {
			statement.setString(1, key);
			statement.executeUpdate();
		}
		return selectToken(connection, table, key);
	}

	private static long updateOrInsertKeyRow(Connection connection, String table, String key, JdbcDialect dialect)
			throws SQLException {
		String update = "UPDATE " + table + " SET fencing_token = fencing_token + 1 WHERE lock_key = ? AND lease_id = ''";
		String insert = "INSERT INTO " + table + " (" + KEY_ROW_COLUMNS + ") VALUES (?, '', 'KEY', '', 0, '', 1, "
				+ dialect.now + ", " + dialect.now + ")";
		while (true) {
			try (PreparedStatement statement = connection.prepareStatement(update)) {
				statement.setString(1, key);
				if (statement.executeUpdate() == 1) {
					return selectToken(connection, table, key);
				}
			}
			try (PreparedStatement statement = connection.prepareStatement(insert)) {
				statement.setString(1, key);
				statement.executeUpdate();
				return 1;
			}
			catch (SQLException ex) {
				if (!isDuplicateKey(ex)) {
					throw ex;
				}
				// Another transaction created the row first: lock and bump it instead.
			}
		}
	}

	private static long selectToken(Connection connection, String table, String key) throws SQLException {
		try (PreparedStatement statement = connection
			.prepareStatement("SELECT fencing_token FROM " + table + " WHERE lock_key = ? AND lease_id = ''")) {
			statement.setString(1, key);
			try (ResultSet rs = statement.executeQuery()) {
				if (!rs.next()) {
					throw new SQLException("Counter row of key '" + key + "' vanished inside its transaction");
				}
				return rs.getLong(1);
			}
		}
	}

	private static boolean isDuplicateKey(SQLException ex) {
		return "23505".equals(ex.getSQLState()) || (ex.getSQLState() != null && ex.getSQLState().startsWith("23"));
	}

}
