package dev.locksmith.provider.jdbc;

import java.time.Duration;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import dev.locksmith.spi.LockProvider;
import dev.locksmith.tck.LockProviderContractTests;
import dev.locksmith.testsupport.PostgresTestServer;

/**
 * Advisory mode with {@code waitInServer} passes the contract kit on a real PostgreSQL.
 */
class PostgresAdvisoryServerWaitContractTests extends LockProviderContractTests {

	private static HikariDataSource dataSource;

	@BeforeAll
	static void createDatabase() {
		dataSource = PostgresTestServer.newDatabase(60);
		AbstractJdbcLockProviderTests.runSchema(dataSource, "postgresql");
	}

	@AfterAll
	static void closeDatabase() {
		dataSource.close();
	}

	@Override
	protected LockProvider newProvider() {
		return PostgresAdvisoryLockProvider.builder(dataSource)
			.livenessCheckInterval(Duration.ofMillis(200))
			.waitInServer(true)
			.build();
	}

}
