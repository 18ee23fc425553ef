package dev.locksmith.provider.jdbc;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Table mode on an in-memory H2 database.
 */
class JdbcLockProviderH2Tests extends AbstractJdbcLockProviderTests {

	private static HikariDataSource dataSource;

	@BeforeAll
	static void createDatabase() {
		dataSource = h2DataSource("jdbc-tests");
		runSchema(dataSource, "h2");
	}

	@AfterAll
	static void closeDatabase() {
		dataSource.close();
	}

	static HikariDataSource h2DataSource(String name) {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl("jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000");
		config.setUsername("sa");
		config.setMaximumPoolSize(20);
		config.setPoolName("h2-" + name);
		return new HikariDataSource(config);
	}

	@Override
	protected DataSource dataSource() {
		return dataSource;
	}

	@Override
	protected String expectedPlatform() {
		return "h2";
	}

}
