package dev.locksmith.leader;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;

import dev.locksmith.provider.jdbc.JdbcLockProvider;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.testsupport.PostgresTestServer;

/**
 * {@link AbstractLeaderElectionProviderTests} on the JDBC table provider and a real PostgreSQL server.
 */
class JdbcLeaderElectionProviderTests extends AbstractLeaderElectionProviderTests {

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
		return JdbcLockProvider.builder(dataSource).build();
	}

}
