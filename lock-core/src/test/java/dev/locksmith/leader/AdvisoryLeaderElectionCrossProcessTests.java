package dev.locksmith.leader;

import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;

import dev.locksmith.testsupport.PostgresTestServer;

/**
 * {@link AbstractLeaderElectionCrossProcessTests} on PostgreSQL advisory locks: a paused leader's session
 * keeps the lock, so nobody else leads until it resumes and gives up; {@code kill -9} ends the session.
 */
class AdvisoryLeaderElectionCrossProcessTests extends AbstractLeaderElectionCrossProcessTests {

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
		return List.of("advisory", dataSource.getJdbcUrl());
	}

	@Override
	protected boolean pausedLeaderKeepsLease() {
		return true;
	}

}
