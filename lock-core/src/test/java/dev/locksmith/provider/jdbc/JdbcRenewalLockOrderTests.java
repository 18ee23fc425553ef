package dev.locksmith.provider.jdbc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.Renewal;
import dev.locksmith.testsupport.PostgresTestServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two instances renew read leases on the same 60 keys at the same time on PostgreSQL, one through a
 * {@code READ COMMITTED} pool (the one-statement renewal, which locks the keys' counter rows in the
 * database's order) and one through a {@code REPEATABLE READ} pool (the per-key path, which locks them in
 * the order it sends them). Half the keys start with U+FF21 and half with U+1F600: UTF-16 order (Java's
 * {@code String} order) puts the second first, code-point order (the byte order of UTF-8) the first, so
 * any disagreement about the order deadlocks. Every renewal must succeed and extend every lease.
 */
class JdbcRenewalLockOrderTests {

	private static final int KEYS = 60;

	private static final int ROUNDS = 40;

	private static HikariDataSource readCommitted;

	private static HikariDataSource repeatableRead;

	@BeforeAll
	static void createDatabase() {
		readCommitted = PostgresTestServer.newDatabase(4);
		AbstractJdbcLockProviderTests.runSchema(readCommitted, "postgresql");
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(readCommitted.getJdbcUrl());
		config.setUsername(readCommitted.getUsername());
		config.setMaximumPoolSize(4);
		config.setMinimumIdle(0);
		config.setTransactionIsolation("TRANSACTION_REPEATABLE_READ");
		config.setPoolName("pg-renewal-order-rr");
		repeatableRead = new HikariDataSource(config);
	}

	@AfterAll
	static void closeDatabase() {
		repeatableRead.close();
		readCommitted.close();
	}

	@Test
	void renewalsOnBothPathsNeverDeadlock() throws Exception {
		renewConcurrently(JdbcLockProvider.builder(readCommitted).build(),
				JdbcLockProvider.builder(repeatableRead).build());
	}

	@Test
	void twoOneStatementRenewalsNeverDeadlock() throws Exception {
		renewConcurrently(JdbcLockProvider.builder(readCommitted).build(),
				JdbcLockProvider.builder(readCommitted).build());
	}

	private static void renewConcurrently(JdbcLockProvider a, JdbcLockProvider b) throws Exception {
		List<String> keys = new ArrayList<>();
		String run = UUID.randomUUID().toString();
		for (int i = 0; i < KEYS; i++) {
			keys.add(((i % 2 == 0) ? "\uFF21" : "\uD83D\uDE00") + "-order-" + run + "-" + i);
		}
		List<Renewal> renewalsA = readLeases(a, keys);
		List<Renewal> renewalsB = readLeases(b, keys);
		ExecutorService threads = Executors.newFixedThreadPool(2);
		try {
			CountDownLatch start = new CountDownLatch(1);
			Future<?> renewingA = threads.submit(() -> renewRounds(a, renewalsA, start));
			Future<?> renewingB = threads.submit(() -> renewRounds(b, renewalsB, start));
			start.countDown();
			renewingA.get(120, TimeUnit.SECONDS);
			renewingB.get(120, TimeUnit.SECONDS);
		}
		finally {
			threads.shutdownNow();
		}
	}

	private static List<Renewal> readLeases(JdbcLockProvider provider, List<String> keys) {
		List<Renewal> renewals = new ArrayList<>();
		for (String key : keys) {
			LeaseRequest request = new LeaseRequest(key, LeaseType.READ, UUID.randomUUID().toString(), "o",
					Duration.ofMinutes(5), 1, 1, Map.of());
			assertThat(provider.acquire(request).isGranted()).isTrue();
			renewals.add(new Renewal(request.ref(), Duration.ofMinutes(5)));
		}
		return renewals;
	}

	private static Void renewRounds(JdbcLockProvider provider, List<Renewal> renewals, CountDownLatch start)
			throws InterruptedException {
		start.await();
		for (int round = 0; round < ROUNDS; round++) {
			Set<LeaseRef> extended = provider.renew(renewals);
			assertThat(extended).as("round %d: every lease renewed", round).hasSize(renewals.size());
		}
		return null;
	}

}
