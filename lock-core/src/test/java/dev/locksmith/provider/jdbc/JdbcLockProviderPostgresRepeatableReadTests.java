package dev.locksmith.provider.jdbc;

import java.sql.SQLException;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import dev.locksmith.testsupport.PostgresTestServer;

/**
 * Table mode on PostgreSQL through a pool whose connections default to {@code REPEATABLE READ}: the provider
 * then sets {@code READ COMMITTED} per transaction and uses the same transaction path as H2 and MySQL
 * instead of PostgreSQL's one-round-trip statements; the shared checks (the item-1 races included) must
 * hold there too.
 */
class JdbcLockProviderPostgresRepeatableReadTests extends AbstractJdbcLockProviderTests {

	private static HikariDataSource database;

	private static HikariDataSource dataSource;

	@BeforeAll
	static void createDatabase() {
		database = PostgresTestServer.newDatabase(2);
		runSchema(database, "postgresql");
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(database.getJdbcUrl());
		config.setUsername(database.getUsername());
		config.setMaximumPoolSize(40);
		config.setMinimumIdle(0);
		config.setTransactionIsolation("TRANSACTION_REPEATABLE_READ");
		config.setPoolName("pg-repeatable-read");
		dataSource = new HikariDataSource(config);
	}

	@AfterAll
	static void closeDatabase() {
		dataSource.close();
		database.close();
	}

	@Override
	protected DataSource dataSource() {
		return dataSource;
	}

	@Override
	protected String expectedPlatform() {
		return "postgresql";
	}

	/** A quarter of the default: this path is slower, and the serialization errors showed within the first rounds. */
	@Override
	protected int contentionRounds() {
		return CONTENTION_ROUNDS / 4;
	}

	@Override
	protected long lockWaiters() throws SQLException {
		return JdbcLockProviderPostgresTests.lockWaiters(dataSource);
	}

}
