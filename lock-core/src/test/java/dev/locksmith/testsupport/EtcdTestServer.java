package dev.locksmith.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import io.etcd.jetcd.Client;
import org.jspecify.annotations.Nullable;

/**
 * A real single-member {@code etcd} process for tests, from the {@code PATH} (Debian/Ubuntu package
 * {@code etcd-server}). It listens on free loopback ports with a temporary data directory, and can be
 * stopped (killed) and started again on the same ports with its data kept or wiped. It runs with a 20 ms
 * heartbeat and 200 ms election timeout, so the server's minimum lease TTL is 1 s (2 s with etcd's
 * defaults). Shipped in lock-core's test-jar.
 *
 * <p>Tests call {@link #assumeInstalled()} first: without an {@code etcd} binary they are reported as
 * skipped with a message naming the package, never passed.
 */
public final class EtcdTestServer implements AutoCloseable {

	/** The package that provides the binary, named in the skip message. */
	public static final String PACKAGE = "etcd-server";

	private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

	private final String name;

	private final int clientPort;

	private final int peerPort;

	private final int metricsPort;

	private final Path directory;

	private @Nullable Path certFile;

	private @Nullable Path keyFile;

	private String initialCluster;

	private @Nullable LocalServerProcess process;

	/**
	 * Starts a single-member server on free ports (call {@link #assumeInstalled()} first).
	 */
	public EtcdTestServer() {
		this("test");
		this.initialCluster = this.name + "=" + peerUrl();
		start();
	}

	private EtcdTestServer(String name) {
		this.name = name;
		try {
			this.clientPort = LocalServerProcess.freePort();
			this.peerPort = LocalServerProcess.freePort();
			this.metricsPort = LocalServerProcess.freePort();
			this.directory = Files.createTempDirectory("locksmith-etcd-");
		}
		catch (IOException ex) {
			throw new IllegalStateException("Could not prepare etcd", ex);
		}
		this.initialCluster = "";
	}

	/**
	 * Starts a cluster of {@code members} members on free loopback ports and waits until it has a leader.
	 * @param members the number of members
	 * @return the running members
	 */
	public static List<EtcdTestServer> cluster(int members) {
		List<EtcdTestServer> servers = new java.util.ArrayList<>();
		for (int i = 0; i < members; i++) {
			servers.add(new EtcdTestServer("member-" + i));
		}
		String initialCluster = servers.stream()
			.map((server) -> server.name + "=" + server.peerUrl())
			.collect(java.util.stream.Collectors.joining(","));
		for (EtcdTestServer server : servers) {
			server.initialCluster = initialCluster;
			server.launch();
		}
		for (EtcdTestServer server : servers) {
			server.awaitHealthy();
		}
		return servers;
	}

	/**
	 * Starts a single-member server that serves clients over TLS only, with the given PEM certificate and
	 * key (its {@link #endpoint()} is then {@code https://}).
	 * @param certFile the server certificate (PEM), valid for 127.0.0.1
	 * @param keyFile the server's private key (PEM)
	 * @return the running server
	 */
	public static EtcdTestServer withTls(Path certFile, Path keyFile) {
		EtcdTestServer server = new EtcdTestServer("tls");
		server.certFile = certFile;
		server.keyFile = keyFile;
		server.initialCluster = server.name + "=" + server.peerUrl();
		server.start();
		return server;
	}

	private String peerUrl() {
		return "http://127.0.0.1:" + this.peerPort;
	}

	/**
	 * Returns whether an {@code etcd} binary is on the {@code PATH}.
	 * @return {@code true} if installed
	 */
	public static boolean isInstalled() {
		return LocalServerProcess.onPath("etcd") != null;
	}

	/**
	 * Skips the calling test (a JUnit assumption) when no {@code etcd} binary is on the {@code PATH}. Call
	 * it per test (in a {@code @BeforeEach} or the test itself): an assumption that fails in a
	 * {@code @BeforeAll} makes Maven report no tests at all instead of skipped ones.
	 */
	public static void assumeInstalled() {
		LocalServerProcess.assumeOnPath("etcd", PACKAGE, "etcd is not installed: no 'etcd' binary on the PATH");
	}

	/**
	 * Returns the client endpoint.
	 * @return {@code http://127.0.0.1:<port>}
	 */
	public String endpoint() {
		return ((this.certFile != null) ? "https" : "http") + "://127.0.0.1:" + this.clientPort;
	}

	/**
	 * Returns whether the process runs.
	 * @return {@code true} if running
	 */
	public synchronized boolean isRunning() {
		return this.process != null && this.process.isAlive();
	}

	/**
	 * Starts the server (again, after {@link #stop()}) on the same ports with whatever data its directory
	 * holds. Does nothing if it runs.
	 */
	public synchronized void start() {
		if (isRunning()) {
			return;
		}
		launch();
		awaitHealthy();
	}

	private synchronized void launch() {
		File binary = LocalServerProcess.onPath("etcd");
		if (binary == null) {
			throw new IllegalStateException("No etcd on the PATH; install the package " + PACKAGE);
		}
		String peer = peerUrl();
		List<String> command = new java.util.ArrayList<>(List.of(binary.getAbsolutePath(), "--name", this.name,
				"--data-dir", this.directory.resolve("data").toString(), "--listen-client-urls", endpoint(),
				"--advertise-client-urls", endpoint(), "--listen-peer-urls", peer, "--initial-advertise-peer-urls",
				peer, "--initial-cluster", this.initialCluster, "--listen-metrics-urls",
				"http://127.0.0.1:" + this.metricsPort, "--heartbeat-interval", "20", "--election-timeout", "200",
				"--logger", "zap", "--log-level", "warn"));
		if (this.certFile != null && this.keyFile != null) {
			command.addAll(List.of("--cert-file", this.certFile.toString(), "--key-file", this.keyFile.toString()));
		}
		try {
			this.process = LocalServerProcess.start("etcd", command, this.directory.resolve("etcd.log"), true);
		}
		catch (IOException ex) {
			throw new IllegalStateException("Could not start " + command, ex);
		}
	}

	/**
	 * Kills the server at once (SIGKILL), keeping its data directory and ports.
	 */
	public synchronized void stop() {
		LocalServerProcess running = this.process;
		if (running == null) {
			return;
		}
		running.stop();
		this.process = null;
	}

	/**
	 * Freezes the server process ({@code SIGSTOP}): its connections stay open but nothing answers, like a
	 * hung server or one in a long pause. {@link #resume()} continues it; {@link #stop()} still kills it.
	 */
	public synchronized void pause() {
		signal("-STOP");
	}

	/**
	 * Continues a server frozen by {@link #pause()} ({@code SIGCONT}).
	 */
	public synchronized void resume() {
		signal("-CONT");
	}

	private void signal(String signal) {
		LocalServerProcess running = this.process;
		if (running == null) {
			throw new IllegalStateException("etcd is not running");
		}
		running.signal(signal);
	}

	/**
	 * Kills the server and deletes its data, as a lost disk would; {@link #start()} then starts an empty
	 * member whose revisions begin at 1 again.
	 */
	public synchronized void stopAndWipe() {
		stop();
		deleteRecursively(this.directory.resolve("data"));
	}

	/**
	 * Creates a jetcd client for this server with short timeouts. The caller closes it.
	 * @return a client
	 */
	public Client client() {
		return Client.builder()
			.endpoints(endpoint())
			.connectTimeout(Duration.ofSeconds(1))
			.retryMaxDuration(Duration.ofSeconds(2))
			.build();
	}

	/**
	 * Stops the server and deletes its directory.
	 */
	@Override
	public void close() {
		stop();
		deleteRecursively(this.directory);
	}

	@Override
	public String toString() {
		return "EtcdTestServer[" + endpoint() + "]";
	}

	private void awaitHealthy() {
		LocalServerProcess started = this.process;
		if (started == null) {
			throw new IllegalStateException("etcd " + this.name + " is not started");
		}
		started.awaitReady(STARTUP_TIMEOUT, 50, "become healthy at " + endpoint(), this::healthy);
	}

	private boolean healthy() {
		try {
			HttpURLConnection connection = (HttpURLConnection) URI
				.create("http://127.0.0.1:" + this.metricsPort + "/health")
				.toURL()
				.openConnection();
			connection.setConnectTimeout(200);
			connection.setReadTimeout(1000);
			try (InputStream in = connection.getInputStream()) {
				return new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("\"health\":\"true\"");
			}
			finally {
				connection.disconnect();
			}
		}
		catch (IOException ex) {
			return false;
		}
	}

	private static void deleteRecursively(Path root) {
		if (!Files.exists(root)) {
			return;
		}
		try (Stream<Path> paths = Files.walk(root)) {
			paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
		}
		catch (IOException ex) {
			throw new IllegalStateException("Could not delete " + root, ex);
		}
	}

}
