package dev.locksmith.provider.jdbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

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

	@Override
	protected long lockWaiters() throws SQLException {
		try (Connection connection = dataSource.getConnection();
				Statement statement = connection.createStatement();
				ResultSet rs = statement
					.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS WHERE BLOCKER_ID IS NOT NULL")) {
			rs.next();
			return rs.getLong(1);
		}
	}

}
