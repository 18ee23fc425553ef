package dev.locksmith.boot.autoconfigure;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.MutexService;
import dev.locksmith.provider.jdbc.JdbcLockProvider;
import dev.locksmith.provider.jdbc.PostgresAdvisoryLockProvider;
import dev.locksmith.testsupport.PostgresTestServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JDBC provider wired from Boot's DataSource auto-configuration: H2 (table mode, schema created for
 * the embedded database) and a real PostgreSQL (table and advisory modes).
 */
class JdbcProviderConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, LocksmithAutoConfiguration.class))
		.withPropertyValues("locksmith.provider=jdbc");

	@AfterAll
	static void stopPostgres() {
		PostgresTestServer.close();
	}

	@Test
	void tableModeOnAnEmbeddedDatabaseCreatesTheSchema() {
		this.contextRunner.withPropertyValues("spring.datasource.generate-unique-name=true").run((context) -> {
			assertThat(context).hasSingleBean(JdbcLockProvider.class)
				.hasSingleBean(LocksmithDataSourceScriptDatabaseInitializer.class);
			MutexService locks = context.getBean(MutexService.class);
			assertThat(locks.providerName()).isEqualTo("jdbc");
			try (LockHandle handle = locks.acquire("job:1")) {
				assertThat(locks.isLocked("job:1")).isTrue();
				Integer rows = new JdbcTemplate(context.getBean(DataSource.class))
					.queryForObject("select count(*) from locksmith_lock where lock_key = 'lock:job:1'", Integer.class);
				assertThat(rows).as("the lease is a row of the table the initializer created").isPositive();
			}
		});
	}

	@Test
	void initializeSchemaNeverLeavesTheDatabaseAloneAndStartupFailsFast() {
		this.contextRunner
			.withPropertyValues("spring.datasource.generate-unique-name=true", "locksmith.jdbc.initialize-schema=never")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("locksmith_lock"));
	}

	@Test
	void tableModeOnPostgres() {
		DataSource dataSource = PostgresTestServer.newDatabase();
		this.contextRunner.withBean(DataSource.class, () -> dataSource)
			.withPropertyValues("locksmith.jdbc.initialize-schema=always")
			.run((context) -> {
				assertThat(context).hasSingleBean(JdbcLockProvider.class);
				MutexService locks = context.getBean(MutexService.class);
				try (LockHandle first = locks.acquire("pg:1")) {
					assertThat(locks.inspect("pg:1").isLocked()).isTrue();
				}
				assertThat(locks.isLocked("pg:1")).isFalse();
			});
	}

	@Test
	void advisoryModeOnPostgres() {
		DataSource dataSource = PostgresTestServer.newDatabase();
		this.contextRunner.withBean(DataSource.class, () -> dataSource)
			.withPropertyValues("locksmith.jdbc.mode=advisory", "locksmith.jdbc.initialize-schema=always")
			.run((context) -> {
				assertThat(context).hasSingleBean(PostgresAdvisoryLockProvider.class);
				assertThat(context.getBean(PostgresAdvisoryLockProvider.class).queuesWaiters())
					.as("locksmith.jdbc.wait-in-server is off by default").isFalse();
				MutexService locks = context.getBean(MutexService.class);
				try (LockHandle handle = locks.acquire("adv:1")) {
					assertThat(locks.isLocked("adv:1")).isTrue();
				}
				assertThat(locks.isLocked("adv:1")).isFalse();
			});
	}

	@Test
	void waitInServerPropertyMakesAWaiterWaitInPostgresLockQueue() {
		DataSource dataSource = PostgresTestServer.newDatabase();
		this.contextRunner.withBean(DataSource.class, () -> dataSource)
			.withPropertyValues("locksmith.jdbc.mode=advisory", "locksmith.jdbc.initialize-schema=always",
					"locksmith.jdbc.wait-in-server=true")
			.run((context) -> {
				assertThat(context.getBean(PostgresAdvisoryLockProvider.class).queuesWaiters()).isTrue();
				MutexService locks = context.getBean(MutexService.class);
				ExecutorService waiter = Executors.newSingleThreadExecutor();
				try {
					Future<Long> waited;
					long heldToken;
					try (LockHandle held = locks.acquire("adv:queue")) {
						heldToken = held.fencingToken();
						waited = waiter.submit(() -> {
							try (LockHandle next = locks.acquire("adv:queue", LockOptions.waitTime(Duration.ofSeconds(30)))) {
								return next.fencingToken();
							}
						});
						// The waiter's pause is a statement blocked in the server's lock queue, not a sleep.
						Awaitility.await()
							.atMost(Duration.ofSeconds(20))
							.until(() -> waitingAdvisoryLocks(dataSource) > 0);
						assertThat(waited).isNotDone();
					}
					assertThat(waited.get(20, TimeUnit.SECONDS)).isGreaterThan(heldToken);
				}
				finally {
					waiter.shutdownNow();
				}
			});
	}

	private static int waitingAdvisoryLocks(DataSource dataSource) {
		Integer waiting = new JdbcTemplate(dataSource).queryForObject(
				"select count(*) from pg_locks where locktype = 'advisory' and not granted", Integer.class);
		return (waiting != null) ? waiting : 0;
	}

	@Test
	void jdbcWithoutADataSourceFailsWithAClearMessage() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(LocksmithAutoConfiguration.class))
			.withPropertyValues("locksmith.provider=jdbc")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("locksmith.provider=jdbc needs one DataSource bean"));
	}

	@Test
	void propertyDefaultsEqualTheProviderDefaults() {
		LocksmithJdbcProperties properties = new LocksmithJdbcProperties();
		assertThat(properties.getTableName()).isEqualTo(JdbcLockProvider.DEFAULT_TABLE_NAME);
		assertThat(properties.getNamespace()).isEqualTo(PostgresAdvisoryLockProvider.DEFAULT_NAMESPACE);
		assertThat(properties.getMode()).isEqualTo(LocksmithJdbcProperties.JdbcMode.TABLE);
		assertThat(properties.isWaitInServer()).isFalse();
		assertThat(properties.getInitializeSchema())
			.isEqualTo(org.springframework.boot.sql.init.DatabaseInitializationMode.EMBEDDED);
	}

}
