package dev.locksmith.leader;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;

import dev.locksmith.provider.jdbc.JdbcLockProvider;
import dev.locksmith.spi.LockProvider;

/**
 * {@link AbstractLeaderElectionProviderTests} on the JDBC table provider and H2 (no release signals: the
 * candidates are woken by the expiry hint and the backoff).
 */
class H2LeaderElectionProviderTests extends AbstractLeaderElectionProviderTests {

	private static HikariDataSource dataSource;

	@BeforeAll
	static void createDatabase() {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl("jdbc:h2:mem:leader-election;DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000");
		config.setUsername("sa");
		config.setMaximumPoolSize(10);
		dataSource = new HikariDataSource(config);
		new ResourceDatabasePopulator(new ClassPathResource("dev/locksmith/provider/jdbc/schema-h2.sql"))
			.execute(dataSource);
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
