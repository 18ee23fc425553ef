package dev.locksmith.provider.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import dev.locksmith.engine.AbstractMultiLockTests;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.testsupport.PostgresTestServer;

/**
 * Multi-key locks on a real PostgreSQL in table mode, one provider instance per service.
 */
class PostgresMultiLockTests extends AbstractMultiLockTests {

	private static HikariDataSource dataSource;

	@BeforeAll
	static void createDatabase() {
		dataSource = PostgresTestServer.newDatabase();
		AbstractJdbcLockProviderTests.runSchema(dataSource, "postgresql");
	}

	@AfterAll
	static void closeDatabase() {
		dataSource.close();
	}

	@Override
	protected LockProvider newProvider() {
		return JdbcLockProvider.builder(dataSource).build();
	}

}
