package dev.locksmith.provider.jdbc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.testsupport.ManyProcessesFairness;
import dev.locksmith.testsupport.PostgresTestServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Advisory mode with {@code waitInServer}: waiting writers wait in PostgreSQL's lock queue. Many processes
 * on one key get their turns in order; a waiter that gives up leaves nothing held.
 */
class PostgresAdvisoryServerWaitTests {

	private static HikariDataSource dataSource;

	@BeforeAll
	static void createDatabase() {
		dataSource = PostgresTestServer.newDatabase(60);
		AbstractJdbcLockProviderTests.runSchema(dataSource, "postgresql");
	}

	@AfterAll
	static void closeDatabase() {
		dataSource.close();
	}

	private static PostgresAdvisoryLockProvider provider() {
		return PostgresAdvisoryLockProvider.builder(dataSource).waitInServer(true).build();
	}

	@Test
	void manyProcessesOnOneKeyNobodyStarvesAndTokensIncrease() throws Exception {
		List<PostgresAdvisoryLockProvider> providers = new ArrayList<>();
		List<LockEngine> engines = new ArrayList<>();
		for (int i = 0; i < 6; i++) {
			PostgresAdvisoryLockProvider each = provider();
			providers.add(each);
			engines.add(Locksmith.builder(each).build());
		}
		try {
			// Queued from the moment the wait statement reaches the lock manager; the attempt before it is a
			// try, not queued, so a releaser re-trying at once goes ahead of a waiter whose wait statement is
			// still on its way (seen up to 33 grants on a loaded 2-core machine): a looser bound, still
			// far from starvation
			ManyProcessesFairness.check(engines, "fair:" + UUID.randomUUID(), 25, 10 * 6);
		}
		finally {
			engines.forEach(LockEngine::close);
			providers.forEach(PostgresAdvisoryLockProvider::close);
		}
	}

	@Test
	void aWaiterThatTimesOutInTheServerHoldsNothing() {
		String key = "fair:" + UUID.randomUUID();
		try (PostgresAdvisoryLockProvider holderProvider = provider();
				PostgresAdvisoryLockProvider waiterProvider = provider();
				LockEngine holder = Locksmith.builder(holderProvider).build();
				LockEngine waiter = Locksmith.builder(waiterProvider).build()) {
			LockHandle held = holder.acquire(key);
			assertThat(waiter.tryAcquire(key, LockOptions.waitTime(Duration.ofMillis(300)))).isEmpty();
			held.close();
			try (LockHandle next = holder.tryAcquire(key, LockOptions.waitTime(Duration.ZERO)).orElseThrow()) {
				assertThat(next.fencingToken()).isGreaterThan(held.fencingToken());
			}
		}
	}

}
