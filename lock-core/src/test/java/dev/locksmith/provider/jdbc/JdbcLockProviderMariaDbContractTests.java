package dev.locksmith.provider.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import dev.locksmith.spi.LockProvider;
import dev.locksmith.tck.LockProviderContractTests;

/**
 * Table mode against the contract kit on a MariaDB/MySQL server; opt-in, see {@link JdbcLockProviderMariaDbTests}.
 */
@EnabledIfSystemProperty(named = "locksmith.test.mariadb.url", matches = ".+")
class JdbcLockProviderMariaDbContractTests extends LockProviderContractTests {

	private static HikariDataSource dataSource;

	@BeforeAll
	static void createTable() {
		dataSource = JdbcLockProviderMariaDbTests.mariaDbDataSource();
		AbstractJdbcLockProviderTests.runSchema(dataSource, JdbcLockProviderMariaDbTests.platform());
	}

	@AfterAll
	static void closeDataSource() {
		dataSource.close();
	}

	@Override
	protected LockProvider newProvider() {
		return JdbcLockProvider.builder(dataSource).build();
	}

}
