package dev.locksmith.provider.jdbc;

import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Locale;

/**
 * The supported databases, detected from a connection, each with its schema script and its table-mode
 * statements.
 */
enum JdbcDialect {

	/** PostgreSQL. */
	POSTGRESQL("postgresql"),

	/** H2 2.x. */
	H2("h2"),

	/** MySQL 8 (InnoDB). */
	MYSQL("mysql"),

	/** MariaDB 10.6+ (InnoDB): the same SQL as MySQL. */
	MARIADB("mariadb");

	private final String platform;

	JdbcDialect(String platform) {
		this.platform = platform;
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
	 * Builds the table-mode statements of this database.
	 * @param table the lock table
	 * @param readCommitted whether the pool's connections default to {@code READ COMMITTED}
	 * @return the statements
	 */
	TableStatements tableStatements(LockTable table, boolean readCommitted) {
		return switch (this) {
			case POSTGRESQL -> new PostgresTableStatements(table, readCommitted);
			case H2 -> new H2TableStatements(table);
			case MYSQL, MARIADB -> new MySqlTableStatements(table);
		};
	}

}
