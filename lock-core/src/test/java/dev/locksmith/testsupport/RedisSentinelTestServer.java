package dev.locksmith.testsupport;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.sentinel.api.StatefulRedisSentinelConnection;
import io.lettuce.core.sentinel.api.sync.RedisSentinelCommands;

import org.springframework.data.redis.connection.RedisSentinelConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.locksmith.provider.redis.RedisClientSettings;

/**
 * One primary, one replica and three sentinels on loopback for tests, from the {@code redis-server} on the
 * {@code PATH} (Debian/Ubuntu package {@code redis-server}). The primary and the replica are
 * {@link RedisTestServer}s (no persistence); the sentinels monitor them as {@value #MASTER_NAME} with a
 * quorum of 2 and a 1 s down-after time. Tests call {@link #assumeInstalled()} first (per test).
 */
public final class RedisSentinelTestServer implements AutoCloseable {

	/** The monitored master's name. */
	public static final String MASTER_NAME = "locksmith";

	private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

	private final RedisTestServer primary;

	private final RedisTestServer replica;

	private final List<Integer> sentinelPorts = new ArrayList<>();

	private final List<LocalServerProcess> sentinels = new ArrayList<>();

	private final RedisClient adminClient = RedisClient.create();

	private final List<StatefulRedisSentinelConnection<String, String>> adminConnections = new ArrayList<>();

	/**
	 * Starts the primary, the replica and the sentinels, and waits until the replica is in sync and every
	 * sentinel knows the replica and the two other sentinels.
	 */
	public RedisSentinelTestServer() {
		File executable = LocalServerProcess.onPath("redis-server");
		if (executable == null) {
			throw new IllegalStateException("No redis-server on the PATH (install the package "
					+ RedisClusterTestServer.PACKAGE + ")");
		}
		this.primary = new RedisTestServer();
		this.replica = RedisTestServer.replicaOf(this.primary);
		try {
			for (int i = 0; i < 3; i++) {
				startSentinel(executable);
			}
			awaitDiscovery();
		}
		catch (IOException | RuntimeException ex) {
			close();
			throw new IllegalStateException("Could not start the sentinels: " + ex.getMessage(), ex);
		}
	}

	/**
	 * Skips the calling test when no {@code redis-server} is on the {@code PATH}, naming the package.
	 */
	public static void assumeInstalled() {
		LocalServerProcess.assumeOnPath("redis-server", RedisClusterTestServer.PACKAGE,
				"Redis Sentinel tests need redis-server on the PATH");
	}

	/**
	 * Returns whether a {@code redis-server} is on the {@code PATH}.
	 * @return {@code true} if the fixture can be started
	 */
	public static boolean isInstalled() {
		return RedisClusterTestServer.isInstalled();
	}

	/**
	 * Returns the server that started as the primary.
	 * @return the first primary
	 */
	public RedisTestServer primary() {
		return this.primary;
	}

	/**
	 * Returns the server that started as the replica.
	 * @return the first replica
	 */
	public RedisTestServer replica() {
		return this.replica;
	}

	/**
	 * Returns the sentinels' addresses as {@code spring.data.redis.sentinel.nodes} takes them.
	 * @return {@code 127.0.0.1:port,...}
	 */
	public String sentinelNodes() {
		return this.sentinelPorts.stream().map((port) -> "127.0.0.1:" + port).collect(Collectors.joining(","));
	}

	/**
	 * Returns a sentinel's commands (owned by the fixture; do not close).
	 * @param index 0 to 2
	 * @return its commands
	 */
	public RedisSentinelCommands<String, String> sentinel(int index) {
		return this.adminConnections.get(index).sync();
	}

	/**
	 * Returns the port of the primary as the first sentinel reports it now.
	 * @return the primary's port
	 */
	public int primaryPort() {
		return ((InetSocketAddress) sentinel(0).getMasterAddrByName(MASTER_NAME)).getPort();
	}

	/**
	 * Creates and starts a Lettuce connection factory that finds the primary through the sentinels
	 * ({@link RedisSentinelConfiguration}, what Boot builds from {@code spring.data.redis.sentinel.*}).
	 * @param commandTimeout the command timeout
	 * @return a started connection factory; the caller destroys it
	 */
	public LettuceConnectionFactory connectionFactory(Duration commandTimeout) {
		LettuceClientConfiguration client = LettuceClientConfiguration.builder()
			.commandTimeout(commandTimeout)
			.clientOptions(RedisClientSettings.clientOptions(commandTimeout))
			.build();
		RedisSentinelConfiguration sentinel = new RedisSentinelConfiguration(MASTER_NAME,
				this.sentinelPorts.stream().map((port) -> "127.0.0.1:" + port).collect(Collectors.toSet()));
		LettuceConnectionFactory factory = new LettuceConnectionFactory(sentinel, client);
		factory.afterPropertiesSet();
		factory.start();
		return factory;
	}

	/**
	 * Stops the sentinels, the replica and the primary.
	 */
	@Override
	public void close() {
		this.adminConnections.forEach((connection) -> {
			try {
				connection.close();
			}
			catch (RuntimeException ex) {
				// already gone
			}
		});
		this.adminClient.shutdown(0, 2, TimeUnit.SECONDS);
		this.sentinels.forEach(LocalServerProcess::stop);
		this.replica.close();
		this.primary.close();
	}

	private void startSentinel(File executable) throws IOException {
		int port = LocalServerProcess.freePort();
		Path directory = Files.createTempDirectory("locksmith-sentinel-");
		Path config = directory.resolve("sentinel.conf");
		Files.writeString(config, String.join("\n", "port " + port, "bind 127.0.0.1", "protected-mode no",
				"dir " + directory, "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + this.primary.port() + " 2",
				"sentinel down-after-milliseconds " + MASTER_NAME + " 1000",
				"sentinel failover-timeout " + MASTER_NAME + " 5000", "sentinel parallel-syncs " + MASTER_NAME + " 1",
				""));
		LocalServerProcess process = LocalServerProcess.start("sentinel",
				List.of(executable.getAbsolutePath(), config.toString(), "--sentinel"), directory.resolve("sentinel.log"),
				false);
		this.sentinels.add(process);
		this.sentinelPorts.add(port);
		process.awaitReady(STARTUP_TIMEOUT, 50, "answer on port " + port,
				() -> RedisTestServer.answersPing("127.0.0.1", port));
		this.adminConnections.add(this.adminClient.connectSentinel(
				RedisURI.builder().withHost("127.0.0.1").withPort(port).withTimeout(Duration.ofSeconds(10)).build()));
	}

	private void awaitDiscovery() {
		long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
		try (var primaryConnection = this.adminClient
			.connect(RedisURI.builder().withHost("127.0.0.1").withPort(this.primary.port()).build())) {
			while (!primaryConnection.sync().info("replication").contains("state=online")) {
				if (System.nanoTime() > deadline) {
					throw new IllegalStateException("The replica did not come online: "
							+ primaryConnection.sync().info("replication"));
				}
				sleep(50);
			}
		}
		for (int i = 0; i < 3; i++) {
			while (true) {
				Map<String, String> master = sentinel(i).master(MASTER_NAME);
				if ("2".equals(master.get("num-other-sentinels")) && "1".equals(master.get("num-slaves"))) {
					break;
				}
				if (System.nanoTime() > deadline) {
					throw new IllegalStateException("Sentinel " + i + " did not discover the others: " + master);
				}
				sleep(100);
			}
		}
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while starting the sentinels", ex);
		}
	}

}
