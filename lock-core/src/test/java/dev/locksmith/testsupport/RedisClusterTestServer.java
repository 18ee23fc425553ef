package dev.locksmith.testsupport;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;

import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.locksmith.provider.redis.RedisClientSettings;

/**
 * A real Redis Cluster of three masters for tests, from the {@code redis-server} on the {@code PATH}
 * (Debian/Ubuntu package {@code redis-server}). Each master listens on a free port on 127.0.0.1 with
 * cluster mode on (cluster bus on another free port), its own temporary directory and no persistence; the fixture assigns the slots
 * (0-5460, 5461-10922, 10923-16383) with {@code CLUSTER ADDSLOTS}, joins the nodes with
 * {@code CLUSTER MEET} and waits until every node reports {@code cluster_state:ok}.
 *
 * <p>Tests call {@link #assumeInstalled()} first (per test, not in {@code @BeforeAll}): without a
 * {@code redis-server} on the {@code PATH} they are reported as skipped with a message naming the package.
 */
public final class RedisClusterTestServer implements AutoCloseable {

	/** The package that provides the binary, named in the skip message. */
	public static final String PACKAGE = "redis-server";

	/** The number of masters. */
	public static final int MASTERS = 3;

	private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

	private final List<Integer> ports = new ArrayList<>();

	private final List<Integer> busPorts = new ArrayList<>();

	private final List<LocalServerProcess> processes = new ArrayList<>();

	private final List<Path> directories = new ArrayList<>();

	private final RedisClient adminClient = RedisClient.create();

	private final List<StatefulRedisConnection<String, String>> adminConnections = new ArrayList<>();

	private final Set<Integer> killed = ConcurrentHashMap.newKeySet();

	/**
	 * Starts the three masters and forms the cluster (call {@link #assumeInstalled()} first).
	 */
	public RedisClusterTestServer() {
		this(false);
	}

	/**
	 * Starts the three masters, optionally one replica of each, and forms the cluster (call
	 * {@link #assumeInstalled()} first). Replica {@code MASTERS + i} replicates master {@code i}.
	 * @param replicas whether to start one replica per master
	 */
	public RedisClusterTestServer(boolean replicas) {
		File executable = LocalServerProcess.onPath("redis-server");
		if (executable == null) {
			throw new IllegalStateException("No redis-server on the PATH (install the package " + PACKAGE + ")");
		}
		try {
			for (int i = 0; i < MASTERS; i++) {
				startNode(executable);
			}
			formCluster();
			if (replicas) {
				for (int i = 0; i < MASTERS; i++) {
					startNode(executable);
				}
				addReplicas();
			}
		}
		catch (IOException | RuntimeException ex) {
			close();
			throw new IllegalStateException("Could not start a Redis Cluster: " + ex.getMessage(), ex);
		}
	}

	/**
	 * Skips the calling test (a JUnit assumption) when no {@code redis-server} binary is on the
	 * {@code PATH}. Call it per test: an assumption that fails in a {@code @BeforeAll} makes Maven report
	 * no tests at all instead of skipped ones.
	 */
	public static void assumeInstalled() {
		LocalServerProcess.assumeOnPath("redis-server", PACKAGE, "Redis Cluster tests need redis-server 7 on the PATH");
	}

	/**
	 * Returns whether a {@code redis-server} is on the {@code PATH}.
	 * @return {@code true} if the cluster can be started
	 */
	public static boolean isInstalled() {
		return LocalServerProcess.onPath("redis-server") != null;
	}

	/**
	 * Returns the masters' ports, in slot order (the first serves slots 0-5460).
	 * @return the ports
	 */
	public List<Integer> ports() {
		return List.copyOf(this.ports);
	}

	/**
	 * Returns a synchronous admin connection to one node (owned by the fixture; do not close it).
	 * @param index the node: masters 0 to 2, then the replicas, if started
	 * @return its commands
	 */
	public RedisCommands<String, String> node(int index) {
		return this.adminConnections.get(index).sync();
	}

	/**
	 * Returns the index of the node that serves a slot now (as that node itself reports), among the nodes
	 * not killed.
	 * @param slot the hash slot
	 * @return the index into {@link #ports()}
	 */
	public int nodeOfSlot(int slot) {
		for (int i = 0; i < this.ports.size(); i++) {
			if (!this.killed.contains(i) && servesSlot(i, slot)) {
				return i;
			}
		}
		throw new IllegalStateException("No master serves slot " + slot);
	}

	/**
	 * Returns the index of the replica of a master (with replicas started).
	 * @param master the master, 0 to 2
	 * @return the replica's index into {@link #ports()}
	 */
	public int replicaOf(int master) {
		return MASTERS + master;
	}

	/**
	 * Kills one node with {@code SIGKILL}: no shutdown, no last replication.
	 * @param index the node
	 */
	public void kill(int index) {
		this.killed.add(index);
		this.processes.get(index).stop();
	}

	/**
	 * Promotes a replica whose master is gone ({@code CLUSTER FAILOVER FORCE}: the other masters vote, the
	 * dead master is not asked) and waits until every live node reports it as the owner of its slots.
	 * @param replica the replica's index
	 */
	public void failOverTo(int replica) {
		long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
		String id = node(replica).clusterMyId();
		while (true) {
			try {
				if (!node(replica).info("replication").contains("role:master")) {
					node(replica).clusterFailover(true);
				}
				boolean everywhere = true;
				for (int i = 0; i < this.ports.size(); i++) {
					if (!this.killed.contains(i) && !ownsSomeSlot(i, id)) {
						everywhere = false;
					}
				}
				if (everywhere) {
					return;
				}
			}
			catch (RuntimeException ex) {
				// a vote in progress: ask again
			}
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("Replica " + replica + " was not promoted within " + STARTUP_TIMEOUT);
			}
			pause(Duration.ofMillis(100));
		}
	}

	private boolean ownsSomeSlot(int asked, String ownerId) {
		for (Object range : node(asked).clusterSlots()) {
			List<?> master = (List<?>) ((List<?>) range).get(2);
			if (master.size() > 2 && ownerId.equals(master.get(2))) {
				return true;
			}
		}
		return false;
	}

	private void addReplicas() {
		for (int i = MASTERS; i < this.ports.size(); i++) {
			meet(i);
		}
		long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
		for (int r = 0; r < MASTERS; r++) {
			int replica = replicaOf(r);
			String masterId = node(r).clusterMyId();
			while (true) {
				try {
					node(replica).clusterReplicate(masterId);
					break;
				}
				catch (RuntimeException ex) {
					// the replica does not know the master yet
					if (System.nanoTime() > deadline) {
						throw ex;
					}
					pause(Duration.ofMillis(100));
				}
			}
		}
		for (int r = 0; r < MASTERS; r++) {
			while (!node(replicaOf(r)).info("replication").contains("master_link_status:up")
					|| !node(r).info("replication").contains("connected_slaves:1")) {
				if (System.nanoTime() > deadline) {
					throw new IllegalStateException("Replica of master " + r + " did not sync within " + STARTUP_TIMEOUT);
				}
				pause(Duration.ofMillis(50));
			}
		}
	}

	private void meet(int index) {
		// CLUSTER MEET ip port bus-port: the bus is not on port + 10000 here
		node(0).dispatch(CommandType.CLUSTER, new StatusOutput<>(StringCodec.UTF8),
				new CommandArgs<>(StringCodec.UTF8).add("MEET")
					.add("127.0.0.1")
					.add(this.ports.get(index))
					.add(this.busPorts.get(index)));
	}

	private boolean servesSlot(int index, int slot) {
		String myId = node(index).clusterMyId();
		for (Object range : node(index).clusterSlots()) {
			List<?> entry = (List<?>) range;
			long from = (Long) entry.get(0);
			long to = (Long) entry.get(1);
			List<?> master = (List<?>) entry.get(2);
			if (slot >= from && slot <= to && master.size() > 2 && myId.equals(master.get(2))) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Returns how often a command ran on one master ({@code INFO commandstats}).
	 * @param index the master
	 * @param command the command in lower case, for example {@code "evalsha"}
	 * @return the call count
	 */
	public long commandCalls(int index, String command) {
		String stats = node(index).info("commandstats");
		for (String line : stats.split("\r?\n")) {
			if (line.startsWith("cmdstat_" + command + ":")) {
				for (String part : line.substring(line.indexOf(':') + 1).split(",")) {
					if (part.startsWith("calls=")) {
						return Long.parseLong(part.substring("calls=".length()));
					}
				}
			}
		}
		return 0;
	}

	/**
	 * Freezes one master ({@code SIGSTOP}): its connections stay open but nothing answers.
	 * @param index the master
	 */
	public void pause(int index) {
		this.processes.get(index).signal("-STOP");
	}

	/**
	 * Continues a master frozen by {@link #pause(int)}.
	 * @param index the master
	 */
	public void resume(int index) {
		this.processes.get(index).signal("-CONT");
	}

	/**
	 * Creates and starts a cluster-aware Lettuce connection factory (Spring Data's
	 * {@link RedisClusterConfiguration}, what Boot builds from {@code spring.data.redis.cluster.nodes}) with
	 * the given command timeout. The caller destroys it.
	 * @param commandTimeout the command timeout
	 * @return a started connection factory
	 */
	public LettuceConnectionFactory connectionFactory(Duration commandTimeout) {
		LettuceClientConfiguration client = LettuceClientConfiguration.builder()
			.commandTimeout(commandTimeout)
			.clientOptions(ClusterClientOptions.builder(RedisClientSettings.clientOptions(commandTimeout)).build())
			.build();
		RedisClusterConfiguration cluster = new RedisClusterConfiguration(
				this.ports.subList(0, MASTERS).stream().map((port) -> "127.0.0.1:" + port).toList());
		LettuceConnectionFactory factory = new LettuceConnectionFactory(cluster, client);
		factory.afterPropertiesSet();
		factory.start();
		return factory;
	}

	/**
	 * Creates and starts a cluster-aware connection factory with a 1 s command timeout.
	 * @return a started connection factory
	 */
	public LettuceConnectionFactory connectionFactory() {
		return connectionFactory(Duration.ofSeconds(1));
	}

	/**
	 * Stops every master and closes the admin connections.
	 */
	@Override
	public void close() {
		this.adminConnections.forEach((connection) -> {
			try {
				connection.close();
			}
			catch (RuntimeException ex) {
				// a paused or stopped node
			}
		});
		this.adminClient.shutdown(0, 2, TimeUnit.SECONDS);
		this.processes.forEach(LocalServerProcess::stop);
	}

	@Override
	public String toString() {
		return "RedisClusterTestServer" + this.ports;
	}

	private void startNode(File executable) throws IOException {
		int port = LocalServerProcess.freePort();
		int busPort = LocalServerProcess.freePort();
		Path directory = Files.createTempDirectory("locksmith-redis-cluster-");
		List<String> command = List.of(executable.getAbsolutePath(), "--port", Integer.toString(port), "--bind",
				"127.0.0.1", "--cluster-enabled", "yes", "--cluster-port", Integer.toString(busPort),
				"--cluster-config-file", "nodes.conf",
				"--cluster-node-timeout", "5000", "--save", "", "--appendonly", "no", "--protected-mode", "no",
				"--daemonize", "no", "--dir", directory.toString(), "--loglevel", "warning");
		LocalServerProcess process = LocalServerProcess.start("redis-server", command, directory.resolve("redis.log"),
				false);
		this.processes.add(process);
		this.ports.add(port);
		this.busPorts.add(busPort);
		this.directories.add(directory);
		process.awaitReady(STARTUP_TIMEOUT, 50, "answer on port " + port,
				() -> RedisTestServer.answersPing("127.0.0.1", port));
		this.adminConnections.add(this.adminClient.connect(
				RedisURI.builder().withHost("127.0.0.1").withPort(port).withTimeout(Duration.ofSeconds(10)).build()));
	}

	private void formCluster() {
		int[][] ranges = { { 0, 5460 }, { 5461, 10922 }, { 10923, 16383 } };
		for (int i = 0; i < MASTERS; i++) {
			node(i).clusterAddSlots(IntStream.rangeClosed(ranges[i][0], ranges[i][1]).toArray());
		}
		for (int i = 1; i < MASTERS; i++) {
			meet(i);
		}
		long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
		for (int i = 0; i < MASTERS; i++) {
			while (!node(i).clusterInfo().contains("cluster_state:ok")
					|| !node(i).clusterInfo().contains("cluster_known_nodes:" + MASTERS)
					|| node(i).clusterSlots().size() < MASTERS) {
				if (System.nanoTime() > deadline) {
					throw new IllegalStateException("The cluster did not form within " + STARTUP_TIMEOUT + ": "
							+ node(i).clusterInfo());
				}
				pause(Duration.ofMillis(50));
			}
		}
	}

	private static void pause(Duration duration) {
		try {
			Thread.sleep(duration.toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while starting the cluster", ex);
		}
	}

}
