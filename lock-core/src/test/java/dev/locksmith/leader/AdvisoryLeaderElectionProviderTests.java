package dev.locksmith.leader;

import java.time.Duration;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;

import dev.locksmith.provider.jdbc.PostgresAdvisoryLockProvider;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.testsupport.PostgresTestServer;

/**
 * {@link AbstractLeaderElectionProviderTests} on PostgreSQL advisory locks (a force release terminates the
 * leader's session; the liveness check reports it lost).
 */
class AdvisoryLeaderElectionProviderTests extends AbstractLeaderElectionProviderTests {

	private static HikariDataSource dataSource;

	@BeforeAll
	static void createDatabase() {
		dataSource = PostgresTestServer.newDatabase(20);
		new ResourceDatabasePopulator(new ClassPathResource("dev/locksmith/provider/jdbc/schema-postgresql.sql"))
			.execute(dataSource);
	}

	@AfterAll
	static void closeDatabase() {
		dataSource.close();
	}

	@Override
	protected LockProvider newProvider() {
		return PostgresAdvisoryLockProvider.builder(dataSource).livenessCheckInterval(Duration.ofMillis(200)).build();
	}

}
