package dev.locksmith.benchmarks;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;

/**
 * A single-member {@code etcd} from the {@code PATH} (Debian package {@code etcd-server}) on free loopback
 * ports with a temporary data directory, for the etcd contenders. Default heartbeat and election timeout,
 * fsync on, as a production member would run.
 */
final class EtcdBenchmarkServer implements AutoCloseable {

	private final Process process;

	private final Path directory;

	private final String endpoint;

	private EtcdBenchmarkServer(Process process, Path directory, String endpoint) {
		this.process = process;
		this.directory = directory;
		this.endpoint = endpoint;
	}

	/**
	 * Starts etcd if it is installed.
	 * @return the running server, or {@code null} when no {@code etcd} is on the {@code PATH}
	 * @throws IOException if it cannot be started
	 */
	static @Nullable EtcdBenchmarkServer startIfInstalled() throws IOException {
		File binary = onPath();
		if (binary == null) {
			System.out.println("etcd not on the PATH (Debian package etcd-server): the etcd contenders are left out");
			return null;
		}
		Path directory = Files.createTempDirectory("locksmith-bench-etcd-");
		String endpoint = "http://127.0.0.1:" + freePort();
		String peer = "http://127.0.0.1:" + freePort();
		String metrics = "http://127.0.0.1:" + freePort();
		Process process = new ProcessBuilder(List.of(binary.getAbsolutePath(), "--name", "bench", "--data-dir",
				directory.resolve("data").toString(), "--listen-client-urls", endpoint, "--advertise-client-urls",
				endpoint, "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster",
				"bench=" + peer, "--listen-metrics-urls", metrics, "--logger", "zap", "--log-level", "warn"))
			.redirectErrorStream(true)
			.redirectOutput(directory.resolve("etcd.log").toFile())
			.start();
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
		while (!healthy(metrics)) {
			if (!process.isAlive() || System.nanoTime() > deadline) {
				process.destroyForcibly();
				throw new IOException("etcd did not start: " + Files.readString(directory.resolve("etcd.log")));
			}
			try {
				Thread.sleep(50);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IOException("Interrupted while starting etcd", ex);
			}
		}
		return new EtcdBenchmarkServer(process, directory, endpoint);
	}

	/**
	 * Returns the client endpoint.
	 * @return {@code http://127.0.0.1:port}
	 */
	String endpoint() {
		return this.endpoint;
	}

	@Override
	public void close() {
		this.process.destroyForcibly();
		try {
			this.process.waitFor(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		try (Stream<Path> paths = Files.walk(this.directory)) {
			paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
		}
		catch (IOException ex) {
			System.err.println("Could not delete " + this.directory + ": " + ex);
		}
	}

	private static boolean healthy(String metrics) {
		try {
			HttpURLConnection connection = (HttpURLConnection) URI.create(metrics + "/health").toURL().openConnection();
			connection.setConnectTimeout(200);
			connection.setReadTimeout(1000);
			try (InputStream in = connection.getInputStream()) {
				return new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("\"health\":\"true\"");
			}
		}
		catch (IOException ex) {
			return false;
		}
	}

	private static @Nullable File onPath() {
		for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
			File candidate = new File(dir, "etcd");
			if (candidate.isFile() && candidate.canExecute()) {
				return candidate;
			}
		}
		return null;
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
