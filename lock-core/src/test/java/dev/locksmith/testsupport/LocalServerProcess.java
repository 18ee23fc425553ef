package dev.locksmith.testsupport;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;

/**
 * One server process a test fixture starts ({@code redis-server}, a sentinel, {@code etcd}), its output in
 * a log file. A JVM shutdown hook kills every one still running, so a test that never closes its fixture
 * leaves no process behind. With it, what the fixtures need to get there: a free loopback port, the binary
 * on the {@code PATH}, and the test skip that names the Debian package when the binary is missing.
 */
final class LocalServerProcess {

	/** Ports this JVM handed out already: never twice, so a stopped server's port stays its own for a restart. */
	private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();


	private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

	static {
		Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly)));
	}

	private final String name;

	private final Process process;

	private final Path log;

	private LocalServerProcess(String name, Process process, Path log) {
		this.name = name;
		this.process = process;
		this.log = log;
	}

	/**
	 * Starts a process with its standard output and error in {@code log}.
	 * @param name the server's name in messages, for example {@code redis-server}
	 * @param command the command line
	 * @param log the log file
	 * @param append whether to append to the log (else it is replaced)
	 * @return the started process
	 * @throws IOException if it cannot be started
	 */
	static LocalServerProcess start(String name, List<String> command, Path log, boolean append) throws IOException {
		Process process = new ProcessBuilder(command).redirectErrorStream(true)
			.redirectOutput(append ? ProcessBuilder.Redirect.appendTo(log.toFile()) : ProcessBuilder.Redirect.to(log.toFile()))
			.start();
		RUNNING.add(process);
		return new LocalServerProcess(name, process, log);
	}

	boolean isAlive() {
		return this.process.isAlive();
	}

	/**
	 * Asks {@code ready} every {@code pollMillis} until it says yes; fails with the log as soon as the process
	 * exits, and after {@code timeout}.
	 * @param timeout how long to wait
	 * @param pollMillis the pause between two questions
	 * @param readyWhen what ready means, for the message ({@code "answer on port 1234"})
	 * @param ready whether the server is ready
	 */
	void awaitReady(Duration timeout, long pollMillis, String readyWhen, BooleanSupplier ready) {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			if (!this.process.isAlive()) {
				throw new IllegalStateException(this.name + " exited with " + this.process.exitValue() + ": " + log());
			}
			if (ready.getAsBoolean()) {
				return;
			}
			try {
				Thread.sleep(pollMillis);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException("Interrupted while starting " + this.name, ex);
			}
		}
		throw new IllegalStateException(this.name + " did not " + readyWhen + " within " + timeout);
	}

	/**
	 * Sends a signal with {@code kill}, for example {@code -STOP} to freeze the process (its connections stay
	 * open but nothing answers) and {@code -CONT} to continue it.
	 * @param signal the {@code kill} option
	 */
	void signal(String signal) {
		try {
			int exit = new ProcessBuilder("kill", signal, Long.toString(this.process.pid())).inheritIO().start().waitFor();
			if (exit != 0) {
				throw new IllegalStateException("kill " + signal + " exited with " + exit);
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException("Could not signal " + this.name, ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while signalling " + this.name, ex);
		}
	}

	/**
	 * Kills the process at once ({@code SIGKILL}, even when frozen) and waits up to 10 s until it is gone.
	 */
	void stop() {
		this.process.destroyForcibly();
		try {
			this.process.waitFor(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		RUNNING.remove(this.process);
	}

	String log() {
		try {
			return Files.readString(this.log);
		}
		catch (IOException ex) {
			return "(no log: " + ex.getMessage() + ")";
		}
	}

	/**
	 * Returns a port that is free on this host now.
	 * @return the port
	 * @throws IOException if no socket can be opened
	 */
	static int freePort() throws IOException {
		int[] range = ephemeralRange();
		int low = 10_000;
		int high = Math.min(range[0], 65_536);
		if (high - low < 1_000) { // an unusual ephemeral range: take the space above it instead
			low = Math.max(range[1] + 1, 10_000);
			high = 65_536;
		}
		java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
		for (int attempt = 0; attempt < 500; attempt++) {
			int port = random.nextInt(low, high);
			if (HANDED_OUT.add(port) && bindable(port)) {
				return port;
			}
		}
		throw new IOException("No free port between " + low + " and " + high + " after 500 tries");
	}

	/**
	 * The kernel's ephemeral port range ({@code [low, high]}), from which outgoing connections take their
	 * local ports. A port for a server is picked outside it: a port that {@code new ServerSocket(0)} said was
	 * free is in that range, and an outgoing connection (say between two etcd members starting at once) can
	 * take it before the server binds it ("address already in use").
	 */
	static int[] ephemeralRange() {
		try {
			String[] parts = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
			return new int[] { Integer.parseInt(parts[0]), Integer.parseInt(parts[1]) };
		}
		catch (IOException | RuntimeException ex) {
			return new int[] { 32_768, 60_999 }; // Linux's default
		}
	}

	private static boolean bindable(int port) {
		try (ServerSocket socket = new ServerSocket()) {
			socket.bind(new java.net.InetSocketAddress("127.0.0.1", port));
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

	/**
	 * Finds an executable on the {@code PATH}.
	 * @param binary its file name
	 * @return the first one, or {@code null}
	 */
	static @Nullable File onPath(String binary) {
		String path = System.getenv("PATH");
		if (path == null) {
			return null;
		}
		for (String dir : path.split(File.pathSeparator)) {
			File candidate = new File(dir, binary);
			if (candidate.isFile() && candidate.canExecute()) {
				return candidate;
			}
		}
		return null;
	}

	/**
	 * Skips the calling test (a JUnit assumption) when {@code binary} is not on the {@code PATH}, with a
	 * message that says how to install {@code debianPackage}.
	 * @param binary the executable's file name
	 * @param debianPackage the Debian/Ubuntu package that provides it
	 * @param missing the start of the message, for example {@code "Redis Cluster tests need redis-server 7 on the PATH"}
	 */
	static void assumeOnPath(String binary, String debianPackage, String missing) {
		Assumptions.assumeTrue(onPath(binary) != null, missing + " (install the Debian/Ubuntu package '" + debianPackage
				+ "', e.g. apt-get install -y " + debianPackage + ")");
	}

}
