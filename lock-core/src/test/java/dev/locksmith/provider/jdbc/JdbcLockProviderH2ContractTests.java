package dev.locksmith.provider.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import dev.locksmith.spi.LockProvider;
import dev.locksmith.tck.LockProviderContractTests;

/**
 * Table mode passes the contract kit on H2; each service gets its own provider instance.
 */
class JdbcLockProviderH2ContractTests extends LockProviderContractTests {

	private static HikariDataSource dataSource;

	@BeforeAll
	static void createDatabase() {
		dataSource = JdbcLockProviderH2Tests.h2DataSource("jdbc-contract");
		AbstractJdbcLockProviderTests.runSchema(dataSource, "h2");
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
