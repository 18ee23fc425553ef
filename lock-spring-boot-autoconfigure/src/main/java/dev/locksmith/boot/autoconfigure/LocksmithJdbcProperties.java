package dev.locksmith.boot.autoconfigure;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.jdbc.init.DatabaseInitializationProperties;
import org.springframework.boot.sql.init.DatabaseInitializationMode;

import dev.locksmith.provider.jdbc.JdbcLockProvider;
import dev.locksmith.provider.jdbc.PostgresAdvisoryLockProvider;

/**
 * JDBC provider settings ({@code locksmith.jdbc.*}), bound only when the JDBC provider is configured.
 * Schema initialisation follows Boot's conventions: {@code initialize-schema} (embedded databases by
 * default) runs the {@code schema-@@platform@@.sql} script shipped with lock-core.
 */
@ConfigurationProperties("locksmith.jdbc")
public class LocksmithJdbcProperties extends DatabaseInitializationProperties {

	/** The advisory provider's default namespace ({@code "Locksmit"} in ASCII). */
	static final long DEFAULT_NAMESPACE = PostgresAdvisoryLockProvider.DEFAULT_NAMESPACE;

	static final String DEFAULT_SCHEMA_LOCATION = "classpath:dev/locksmith/provider/jdbc/schema-@@platform@@.sql";

	/**
	 * Locking mode: a lock table on any database, or PostgreSQL advisory locks.
	 */
	private JdbcMode mode = JdbcMode.TABLE;

	/**
	 * Lock table name (in advisory mode, the table that records holders for inspection). The schema script
	 * creates the default name; create a renamed table yourself.
	 */
	private String tableName = JdbcLockProvider.DEFAULT_TABLE_NAME;

	/**
	 * Namespace hashed into every advisory lock id, in advisory mode, so applications sharing a database
	 * do not collide.
	 */
	private long namespace = DEFAULT_NAMESPACE;

	/**
	 * Whether a waiting write acquisition waits inside PostgreSQL's lock queue, in advisory mode: waiters are
	 * granted in arrival order and exactly the next one is woken on a release, but each waiting acquisition
	 * holds a pooled connection while it waits, so size the pool for held plus waiting locks plus the LISTEN
	 * connection. When off, waiters sleep and are woken by NOTIFY.
	 */
	private boolean waitInServer;

	/**
	 * Creates the properties with Boot's default schema initialisation mode (embedded databases only).
	 */
	public LocksmithJdbcProperties() {
		setInitializeSchema(DatabaseInitializationMode.EMBEDDED);
	}

	@Override
	public String getDefaultSchemaLocation() {
		return DEFAULT_SCHEMA_LOCATION;
	}

	/**
	 * Returns the mode.
	 * @return the mode
	 */
	public JdbcMode getMode() {
		return this.mode;
	}

	/**
	 * Sets the mode.
	 * @param mode the mode
	 */
	public void setMode(JdbcMode mode) {
		this.mode = mode;
	}

	/**
	 * Returns the table name.
	 * @return the table name
	 */
	public String getTableName() {
		return this.tableName;
	}

	/**
	 * Sets the table name.
	 * @param tableName the table name
	 */
	public void setTableName(String tableName) {
		if (tableName == null || !tableName.matches("[A-Za-z_][A-Za-z0-9_.]*")) {
			throw new IllegalArgumentException(
					"locksmith.jdbc.table-name must be a plain SQL identifier (letters, digits, '_', '.'), was '"
							+ tableName + "'");
		}
		this.tableName = tableName;
	}

	/**
	 * Returns the namespace.
	 * @return the namespace
	 */
	public long getNamespace() {
		return this.namespace;
	}

	/**
	 * Sets the namespace.
	 * @param namespace the namespace
	 */
	public void setNamespace(long namespace) {
		this.namespace = namespace;
	}

	/**
	 * Returns whether waiting writers wait inside PostgreSQL (advisory mode).
	 * @return {@code true} if they do
	 */
	public boolean isWaitInServer() {
		return this.waitInServer;
	}

	/**
	 * Sets whether waiting writers wait inside PostgreSQL (advisory mode).
	 * @param waitInServer whether they do
	 */
	public void setWaitInServer(boolean waitInServer) {
		this.waitInServer = waitInServer;
	}

	/**
	 * JDBC locking modes.
	 */
	public enum JdbcMode {

		/** A lock table (schema script per platform), on any database. */
		TABLE,

		/** PostgreSQL session advisory locks. */
		ADVISORY

	}

}
