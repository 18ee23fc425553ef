package dev.locksmith.leader;

import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;

import dev.locksmith.testsupport.PostgresTestServer;

/**
 * {@link AbstractLeaderElectionCrossProcessTests} on the JDBC table provider and a real PostgreSQL server.
 */
class JdbcLeaderElectionCrossProcessTests extends AbstractLeaderElectionCrossProcessTests {

	private static HikariDataSource dataSource;

	@BeforeAll
	static void createDatabase() {
		dataSource = PostgresTestServer.newDatabase(2);
		new ResourceDatabasePopulator(new ClassPathResource("dev/locksmith/provider/jdbc/schema-postgresql.sql"))
			.execute(dataSource);
	}

	@AfterAll
	static void closeDatabase() {
		dataSource.close();
	}

	@Override
	protected List<String> backend() {
		return List.of("jdbc", dataSource.getJdbcUrl());
	}

}
