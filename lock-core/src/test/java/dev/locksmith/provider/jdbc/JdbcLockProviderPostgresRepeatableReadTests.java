package dev.locksmith.provider.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.locksmith.LeaseType;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.Renewal;

import dev.locksmith.testsupport.PostgresTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Table mode on PostgreSQL through a pool whose connections default to {@code REPEATABLE READ}: the provider
 * then sets {@code READ COMMITTED} per transaction and uses the same transaction path as H2 and MySQL
 * instead of PostgreSQL's one-round-trip statements; the shared checks (the item-1 races included) must
 * hold there too.
 */
class JdbcLockProviderPostgresRepeatableReadTests extends AbstractJdbcLockProviderTests {

	private static HikariDataSource database;

	private static HikariDataSource dataSource;

	@BeforeAll
	static void createDatabase() {
		database = PostgresTestServer.newDatabase(2);
		runSchema(database, "postgresql");
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(database.getJdbcUrl());
		config.setUsername(database.getUsername());
		config.setMaximumPoolSize(40);
		config.setMinimumIdle(0);
		config.setTransactionIsolation("TRANSACTION_REPEATABLE_READ");
		config.setPoolName("pg-repeatable-read");
		dataSource = new HikariDataSource(config);
	}

	@AfterAll
	static void closeDatabase() {
		dataSource.close();
		database.close();
	}

	@Override
	protected DataSource dataSource() {
		return dataSource;
	}

	@Override
	protected String expectedPlatform() {
		return "postgresql";
	}

	/** A quarter of the default: this path is slower, and the serialization errors showed within the first rounds. */
	@Override
	protected int contentionRounds() {
		return CONTENTION_ROUNDS / 4;
	}

	@Override
	protected long lockWaiters() throws SQLException {
		return JdbcLockProviderPostgresTests.lockWaiters(dataSource);
	}

	/**
	 * Issue 13: messages show only a short, escaped prefix of a key. A failed JDBC batch (here the renewal's,
	 * stopped by a lock timeout) is reported by the driver with the statement and its bound key, which must
	 * not reach the message.
	 */
	@Test
	void aFailedRenewalBatchDoesNotQuoteTheRawKey() throws Exception {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(database.getJdbcUrl());
		config.setUsername(database.getUsername());
		config.setMaximumPoolSize(4);
		config.setMinimumIdle(0);
		config.setTransactionIsolation("TRANSACTION_REPEATABLE_READ");
		config.setConnectionInitSql("SET lock_timeout = '200ms'");
		try (HikariDataSource impatient = new HikariDataSource(config);
				JdbcLockProvider provider = JdbcLockProvider.builder(impatient).build();
				Connection third = dataSource.getConnection()) {
			String key = "esc\u001b[2J" + "k".repeat(70) + "-secret-" + UUID.randomUUID();
			LeaseRequest lease = new LeaseRequest(key, LeaseType.WRITE, UUID.randomUUID().toString(), "owner",
					Duration.ofSeconds(30), 1, 1, Map.of());
			assertThat(provider.acquire(lease).isGranted()).isTrue();
			third.setAutoCommit(false);
			try (PreparedStatement lockRow = third
				.prepareStatement("SELECT 1 FROM locksmith_lock WHERE lock_key = ? AND lease_id = ? FOR UPDATE")) {
				lockRow.setString(1, key);
				lockRow.setString(2, lease.leaseId());
				lockRow.executeQuery().close();
			}
			assertThatExceptionOfType(LockProviderUnavailableException.class)
				.isThrownBy(() -> provider.renew(List.of(new Renewal(lease.ref(), Duration.ofSeconds(30)))))
				.satisfies((ex) -> assertThat(ex.getMessage()).doesNotContain("\u001b").doesNotContain("-secret-"));
			third.rollback();
		}
	}


	/**
	 * Issue 15: the grant commits synchronously (its token must survive a crash), the release asynchronously
	 * (its own transaction only), and the connection goes back to the pool committing synchronously again. This
	 * path commits explicitly, so the setting each commit runs under is read on the connection just before it.
	 */
	@Test
	void releaseCommitsAsynchronouslyAndTheConnectionGoesBackSynchronous() throws Exception {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(database.getJdbcUrl());
		config.setUsername(database.getUsername());
		config.setMaximumPoolSize(1);
		config.setMinimumIdle(0);
		config.setTransactionIsolation("TRANSACTION_REPEATABLE_READ");
		// the embedded test server's default is off
		config.setConnectionInitSql("SET synchronous_commit = on");
		List<String> atCommit = new ArrayList<>();
		try (HikariDataSource single = new HikariDataSource(config)) {
			DataSource recording = recordingCommitSetting(single, atCommit);
			try (JdbcLockProvider provider = JdbcLockProvider.builder(recording).build()) {
				LeaseRequest lease = request(key(), LeaseType.WRITE, Duration.ofSeconds(30));
				assertThat(provider.acquire(lease).isGranted()).isTrue();
				assertThat(atCommit).containsExactly("on");
				assertThat(provider.release(lease.ref())).isTrue();
				assertThat(atCommit).containsExactly("on", "off");
			}
			try (Connection connection = single.getConnection()) {
				assertThat(synchronousCommit(connection)).isEqualTo("on");
			}
		}
	}

	/** A data source whose connections record {@code synchronous_commit} just before each commit. */
	private static DataSource recordingCommitSetting(DataSource target, List<String> atCommit) {
		return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] { DataSource.class },
				(proxy, method, args) -> {
					Object result = invoke(method, target, args);
					if (!method.getName().equals("getConnection")) {
						return result;
					}
					Connection connection = (Connection) result;
					return Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] { Connection.class },
							(p, m, a) -> {
								if (m.getName().equals("commit")) {
									atCommit.add(synchronousCommit(connection));
								}
								return invoke(m, connection, a);
							});
				});
	}

	private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
		try {
			return method.invoke(target, args);
		}
		catch (InvocationTargetException ex) {
			throw ex.getCause();
		}
	}

	static String synchronousCommit(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("SHOW synchronous_commit")) {
			rs.next();
			return rs.getString(1);
		}
	}

}
