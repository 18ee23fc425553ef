package dev.locksmith.provider.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import dev.locksmith.spi.LockProvider;
import dev.locksmith.tck.LockProviderContractTests;
import dev.locksmith.testsupport.PostgresTestServer;

/**
 * Table mode passes the contract kit on a real PostgreSQL; each service gets its own provider instance,
 * as two processes would.
 */
class JdbcLockProviderPostgresContractTests extends LockProviderContractTests {

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
