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
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Table mode on a MariaDB (or MySQL) server the build does not start: opt in with
 * {@code -Dlocksmith.test.mariadb.url=jdbc:mariadb://127.0.0.1:3306/locksmith?user=root}
 * (optionally {@code -Dlocksmith.test.mariadb.platform=mysql} for a MySQL server). The database must exist;
 * the test creates the table with the shipped script.
 */
@EnabledIfSystemProperty(named = "locksmith.test.mariadb.url", matches = ".+")
class JdbcLockProviderMariaDbTests extends AbstractJdbcLockProviderTests {

	private static HikariDataSource dataSource;

	@BeforeAll
	static void createTable() {
		dataSource = mariaDbDataSource();
		runSchema(dataSource, platform());
	}

	@AfterAll
	static void closeDataSource() {
		dataSource.close();
	}

	static HikariDataSource mariaDbDataSource() {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(System.getProperty("locksmith.test.mariadb.url"));
		config.setMaximumPoolSize(40);
		config.setPoolName("mariadb-tests");
		return new HikariDataSource(config);
	}

	static String platform() {
		return System.getProperty("locksmith.test.mariadb.platform", "mariadb");
	}

	@Override
	protected DataSource dataSource() {
		return dataSource;
	}

	@Override
	protected String expectedPlatform() {
		return platform();
	}

	@Override
	protected long lockWaiters() throws SQLException {
		try (Connection connection = dataSource.getConnection();
				Statement statement = connection.createStatement();
				ResultSet rs = statement
					.executeQuery("SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'")) {
			rs.next();
			return rs.getLong(1);
		}
	}

}
