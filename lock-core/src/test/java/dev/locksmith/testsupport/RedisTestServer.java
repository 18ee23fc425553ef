package dev.locksmith.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.DefaultClientResources;
import org.jspecify.annotations.Nullable;
import redis.embedded.core.ExecutableProvider;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.locksmith.provider.redis.RedisClientSettings;

/**
 * A real {@code redis-server} process for tests: the one on the {@code PATH} if there is one, otherwise
 * the binary bundled with embedded-redis. It listens on a free port on 127.0.0.1, keeps nothing on disk
 * (so a restart loses all data, like a crashed server without persistence), and can be stopped and
 * started again on the same port. Shipped in lock-core's test-jar for the other modules' tests.
 *
 * <pre>{@code
 * try (RedisTestServer redis = new RedisTestServer()) {
 *     LettuceConnectionFactory factory = redis.connectionFactory();
 *     ...
 *     factory.destroy();
 * }
 * }</pre>
 */
public final class RedisTestServer implements AutoCloseable {

	private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(20);

	private static volatile @Nullable File executable;

	private static volatile @Nullable ClientResources clientResources;

	private final int port;

	private final List<String> extraArguments;

	private final Path directory;

	private @Nullable LocalServerProcess process;

	/**
	 * Starts a server on a free port.
	 */
	public RedisTestServer() {
		this(List.of());
	}

	private RedisTestServer(List<String> extraArguments) {
		this.extraArguments = List.copyOf(extraArguments);
		try {
			this.port = LocalServerProcess.freePort();
			this.directory = Files.createTempDirectory("locksmith-redis-");
		}
		catch (IOException ex) {
			throw new IllegalStateException("Could not prepare redis-server", ex);
		}
		start();
	}

	/**
	 * Starts a server on a free port that replicates {@code primary}.
	 * @param primary the server to replicate
	 * @return the running replica
	 */
	public static RedisTestServer replicaOf(RedisTestServer primary) {
		return new RedisTestServer(List.of("--replicaof", "127.0.0.1", Integer.toString(primary.port())));
	}

	/**
	 * Starts a server on a free port with extra {@code redis-server} arguments.
	 * @param arguments the arguments, for example {@code "--maxmemory-policy", "allkeys-lru"}
	 * @return the running server
	 */
	public static RedisTestServer withArguments(String... arguments) {
		return new RedisTestServer(List.of(arguments));
	}

	/**
	 * Returns the port the server listens on (the same across restarts).
	 * @return the port
	 */
	public int port() {
		return this.port;
	}

	/**
	 * Returns the host the server listens on.
	 * @return {@code 127.0.0.1}
	 */
	public String host() {
		return "127.0.0.1";
	}

	/**
	 * Returns whether the server process is running.
	 * @return {@code true} if running
	 */
	public synchronized boolean isRunning() {
		return this.process != null && this.process.isAlive();
	}

	/**
	 * Starts the server (again, after {@link #stop()}) on the same port, with no data. Does nothing if it
	 * runs.
	 */
	public synchronized void start() {
		if (isRunning()) {
			return;
		}
		List<String> command = new ArrayList<>();
		try {
			command.addAll(List.of(executable().getAbsolutePath(), "--port", Integer.toString(this.port), "--bind",
					"127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no",
					"--dir", this.directory.toString(), "--loglevel", "warning"));
			command.addAll(this.extraArguments);
			LocalServerProcess started = LocalServerProcess.start("redis-server", command,
					this.directory.resolve("redis.log"), false);
			this.process = started;
			started.awaitReady(STARTUP_TIMEOUT, 20, "answer on port " + this.port,
					() -> answersPing(host(), this.port));
		}
		catch (IOException ex) {
			throw new IllegalStateException("Could not start " + command, ex);
		}
	}

	/**
	 * Kills the server at once (no save, so its data is gone), keeping the port for {@link #start()}.
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
	 * Creates and starts a Lettuce connection factory for this server with the timeouts of
	 * {@link RedisClientSettings} (1 s command timeout) and fast reconnects. The caller destroys it.
	 * @return a started connection factory
	 */
	public LettuceConnectionFactory connectionFactory() {
		return connectionFactory(Duration.ofSeconds(1));
	}

	/**
	 * Creates and starts a Lettuce connection factory for this server. The caller destroys it.
	 * @param commandTimeout the command timeout
	 * @return a started connection factory
	 */
	public LettuceConnectionFactory connectionFactory(Duration commandTimeout) {
		LettuceClientConfiguration client = LettuceClientConfiguration.builder()
			.commandTimeout(commandTimeout)
			.clientOptions(RedisClientSettings.clientOptions(commandTimeout))
			.clientResources(sharedClientResources())
			.build();
		LettuceConnectionFactory factory = new LettuceConnectionFactory(
				new RedisStandaloneConfiguration(host(), this.port), client);
		factory.afterPropertiesSet();
		factory.start();
		return factory;
	}

	/**
	 * Freezes the server process ({@code SIGSTOP}): its connections stay open but nothing answers, like a
	 * hung or partitioned server. {@link #resume()} continues it; {@link #stop()} still kills it.
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
			throw new IllegalStateException("redis-server is not running");
		}
		running.signal(signal);
	}

	/**
	 * Stops the server.
	 */
	@Override
	public void close() {
		stop();
	}

	@Override
	public String toString() {
		return "RedisTestServer[" + host() + ":" + this.port + "]";
	}

	/**
	 * Returns whether a Redis server (or sentinel) answers {@code PING} on a port now.
	 * @param host the host
	 * @param port the port
	 * @return {@code true} on {@code +PONG}
	 */
	static boolean answersPing(String host, int port) {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(host, port), 200);
			socket.setSoTimeout(500);
			OutputStream out = socket.getOutputStream();
			out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
			out.flush();
			InputStream in = socket.getInputStream();
			byte[] reply = new byte[7];
			int read = in.readNBytes(reply, 0, 7);
			return read == 7 && new String(reply, StandardCharsets.US_ASCII).equals("+PONG\r\n");
		}
		catch (IOException ex) {
			return false;
		}
	}

	private static synchronized File executable() throws IOException {
		File found = executable;
		if (found == null) {
			found = LocalServerProcess.onPath("redis-server");
			if (found == null) {
				found = ExecutableProvider.newJarResourceProvider().get();
				found.setExecutable(true);
			}
			executable = found;
		}
		return found;
	}

	private static synchronized ClientResources sharedClientResources() {
		ClientResources resources = clientResources;
		if (resources == null) {
			resources = DefaultClientResources.builder()
				.ioThreadPoolSize(2)
				.computationThreadPoolSize(2)
				.reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofMillis(500), 2, TimeUnit.MILLISECONDS))
				.build();
			clientResources = resources;
		}
		return resources;
	}

}
