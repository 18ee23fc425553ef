package dev.locksmith.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import com.zaxxer.hikari.HikariDataSource;

import dev.locksmith.testsupport.EtcdTestServer;
import dev.locksmith.testsupport.PostgresTestServer;
import dev.locksmith.testsupport.RedisTestServer;

/**
 * The server side of a backend for one run: started by the suite on 127.0.0.1 (with lock-core's test
 * fixtures), faulted by the nemesis, stopped at the end. New providers plug in by adding a case to
 * {@link #start(String)} and {@link BackendClient}.
 */
abstract class ServerBackend implements AutoCloseable {

	/**
	 * Starts a backend by name.
	 * @param name memory, redis, redlock, postgres-table, postgres-advisory or etcd
	 * @return the running backend
	 */
	static ServerBackend start(String name) {
		return switch (name) {
			case "memory" -> new Memory();
			case "redis" -> new Redis(name, 1);
			case "redlock" -> new Redis(name, 3);
			case "postgres-table", "postgres-advisory" -> new Postgres(name);
			case "etcd" -> new Etcd();
			default -> throw new IllegalArgumentException("Unknown backend '" + name
					+ "' (memory, redis, redlock, postgres-table, postgres-advisory, etcd)");
		};
	}

	/**
	 * Returns the backend's name, as {@link BackendClient} knows it.
	 * @return the name
	 */
	abstract String name();

	/**
	 * Returns whether the backend promises strictly increasing tokens per key.
	 * @return {@code true} unless Redlock
	 */
	boolean monotonicTokens() {
		return true;
	}

	/**
	 * Returns the ports clients connect to (one proxy each for c1).
	 * @return the ports
	 */
	abstract List<Integer> ports();

	/**
	 * Returns the endpoints argument of a client that connects to {@code ports}.
	 * @param ports the ports (the backend's or its proxies')
	 * @return the endpoints
	 */
	abstract String endpoints(List<Integer> ports);

	/**
	 * Returns whether the backend runs in one client process only (the memory control).
	 * @return {@code true} for memory
	 */
	boolean singleProcess() {
		return false;
	}

	/**
	 * Returns whether the fault applies to this backend.
	 * @param fault the fault
	 * @return {@code true} if it can be injected
	 */
	abstract boolean supports(Fault fault);

	/**
	 * Injects a backend fault ({@link Fault#RESTART} or {@link Fault#TERMINATE}).
	 * @param fault the fault
	 * @param random the schedule's random source
	 * @return what was done, for the history
	 */
	abstract String inject(Fault fault, Random random);

	@Override
	public abstract void close();

	/** The in-process control: no server. */
	static final class Memory extends ServerBackend {

		@Override
		String name() {
			return "memory";
		}

		@Override
		List<Integer> ports() {
			return List.of();
		}

		@Override
		String endpoints(List<Integer> ports) {
			return "-";
		}

		@Override
		boolean singleProcess() {
			return true;
		}

		@Override
		boolean supports(Fault fault) {
			return fault == Fault.NONE || fault == Fault.CLOCK;
		}

		@Override
		String inject(Fault fault, Random random) {
			throw new UnsupportedOperationException(fault.name());
		}

		@Override
		public void close() {
		}

	}

	/** Redis: one node, or three independent masters for Redlock. */
	static final class Redis extends ServerBackend {

		private final String name;

		private final List<RedisTestServer> nodes = new ArrayList<>();

		Redis(String name, int nodes) {
			this.name = name;
			for (int i = 0; i < nodes; i++) {
				this.nodes.add(new RedisTestServer());
			}
		}

		@Override
		String name() {
			return this.name;
		}

		@Override
		boolean monotonicTokens() {
			return this.nodes.size() == 1;
		}

		@Override
		List<Integer> ports() {
			return this.nodes.stream().map(RedisTestServer::port).toList();
		}

		@Override
		String endpoints(List<Integer> ports) {
			return String.join(",", ports.stream().map((port) -> "127.0.0.1:" + port).toList());
		}

		@Override
		boolean supports(Fault fault) {
			return fault != Fault.TERMINATE;
		}

		@Override
		String inject(Fault fault, Random random) {
			RedisTestServer node = this.nodes.get(random.nextInt(this.nodes.size()));
			node.stop();
			node.start();
			return "restarted redis on port " + node.port();
		}

		@Override
		public void close() {
			this.nodes.forEach(RedisTestServer::stop);
		}

	}

	/** PostgreSQL (embedded), in table or advisory mode, one fresh database per run. */
	static final class Postgres extends ServerBackend {

		private final String name;

		private final String database;

		Postgres(String name) {
			this.name = name;
			try (HikariDataSource pool = PostgresTestServer.newDatabase(2)) {
				String url = pool.getJdbcUrl();
				int slash = url.lastIndexOf('/');
				int query = url.indexOf('?', slash);
				this.database = url.substring(slash + 1, (query > 0) ? query : url.length());
				runSchema(pool);
			}
		}

		@Override
		String name() {
			return this.name;
		}

		@Override
		List<Integer> ports() {
			return List.of(PostgresTestServer.port());
		}

		@Override
		String endpoints(List<Integer> ports) {
			return "jdbc:postgresql://127.0.0.1:" + ports.get(0) + "/" + this.database
					+ "?user=postgres&connectTimeout=2&socketTimeout=5&tcpKeepAlive=true";
		}

		@Override
		boolean supports(Fault fault) {
			return fault != Fault.RESTART;
		}

		@Override
		String inject(Fault fault, Random random) {
			try (Connection connection = PostgresTestServer.adminDataSource().getConnection();
					PreparedStatement statement = connection.prepareStatement("SELECT count(pg_terminate_backend(pid))"
							+ " FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()")) {
				statement.setString(1, this.database);
				try (var rows = statement.executeQuery()) {
					rows.next();
					return "terminated " + rows.getLong(1) + " sessions";
				}
			}
			catch (SQLException ex) {
				return "pg_terminate_backend failed: " + ex.getMessage();
			}
		}

		private static void runSchema(HikariDataSource pool) {
			try (InputStream in = ServerBackend.class.getClassLoader()
				.getResourceAsStream("dev/locksmith/provider/jdbc/schema-postgresql.sql");
					Connection connection = pool.getConnection();
					Statement statement = connection.createStatement()) {
				StringBuilder sql = new StringBuilder();
				for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
					if (!line.trim().startsWith("--")) {
						sql.append(line).append('\n');
					}
				}
				for (String part : sql.toString().split(";")) {
					if (!part.isBlank()) {
						statement.execute(part);
					}
				}
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
			catch (SQLException ex) {
				throw new IllegalStateException("Could not create the lock table", ex);
			}
		}

		@Override
		public void close() {
			// the server is shared by the runs and stopped by PostgresTestServer's shutdown hook
		}

	}

	/** One etcd member; a restart is {@code kill -9} and start again with its data kept (etcd persists). */
	static final class Etcd extends ServerBackend {

		private final EtcdTestServer server;

		Etcd() {
			EtcdTestServer.assumeInstalled();
			this.server = new EtcdTestServer();
		}

		@Override
		String name() {
			return "etcd";
		}

		@Override
		List<Integer> ports() {
			String endpoint = this.server.endpoint();
			return List.of(Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1)));
		}

		@Override
		String endpoints(List<Integer> ports) {
			return String.join(",", ports.stream().map((port) -> "http://127.0.0.1:" + port).toList());
		}

		@Override
		boolean supports(Fault fault) {
			return fault != Fault.TERMINATE;
		}

		@Override
		String inject(Fault fault, Random random) {
			this.server.stop();
			this.server.start();
			return "restarted etcd (data kept) at " + this.server.endpoint();
		}

		@Override
		public void close() {
			this.server.close();
		}

	}

}
