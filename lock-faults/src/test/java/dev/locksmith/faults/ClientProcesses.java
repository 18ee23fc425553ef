package dev.locksmith.faults;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The client JVMs of a run: started with the current {@code java} and the test class path, stopped
 * gracefully ({@code stop} on standard input) or with {@code kill -9}, paused with {@code kill -STOP}.
 * Every process started is killed by a shutdown hook if the run did not stop it.
 */
final class ClientProcesses implements AutoCloseable {

	private static final Set<Process> STARTED = ConcurrentHashMap.newKeySet();

	static {
		Runtime.getRuntime().addShutdownHook(new Thread(() -> STARTED.forEach((process) -> {
			signal(process, "CONT");
			process.destroyForcibly();
		}), "faults-client-reaper"));
	}

	private final Path directory;

	private final Map<String, Process> running = new ConcurrentHashMap<>();

	private final Map<String, CountDownLatch> starting = new ConcurrentHashMap<>();

	/**
	 * Creates the set of clients of a run.
	 * @param directory where histories and logs go
	 */
	ClientProcesses(Path directory) {
		this.directory = directory;
	}

	/**
	 * Starts a client; {@link #awaitReady()} waits until its workers run.
	 * @param main the client's main class ({@link ClientMain} or {@link BootClientMain})
	 * @param name the client name ({@code c1}…)
	 * @param args its other arguments, {@code name=value}
	 * @throws IOException if it cannot start
	 */
	void start(Class<?> main, String name, List<String> args) throws IOException {
		String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
		List<String> command = new ArrayList<>(List.of(
				Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx96m", "-Xss512k",
				"-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
				"-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener", "-cp", classPath, main.getName(),
				"name=" + name, "history=" + this.directory.resolve(name + ".history")));
		command.addAll(args);
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		STARTED.add(process);
		this.running.put(name, process);
		CountDownLatch ready = new CountDownLatch(1);
		Path log = this.directory.resolve(name + ".log");
		Thread pump = new Thread(() -> {
			try (BufferedReader in = new BufferedReader(
					new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
					PrintWriter out = new PrintWriter(Files.newBufferedWriter(log))) {
				String line;
				while ((line = in.readLine()) != null) {
					if (line.startsWith("ready ")) {
						ready.countDown();
					}
					out.println(line);
					out.flush();
				}
			}
			catch (IOException ex) {
				// process gone
			}
		}, "faults-log-" + name);
		pump.setDaemon(true);
		pump.start();
		this.starting.put(name, ready);
	}

	/**
	 * Waits until every client started so far runs its workers.
	 * @throws IOException if one did not start within 60 s
	 */
	void awaitReady() throws IOException {
		for (Map.Entry<String, CountDownLatch> entry : this.starting.entrySet()) {
			try {
				if (!entry.getValue().await(60, TimeUnit.SECONDS)) {
					throw new IOException("client " + entry.getKey() + " did not start within 60 s; see "
							+ this.directory.resolve(entry.getKey() + ".log"));
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IOException("interrupted while starting " + entry.getKey(), ex);
			}
		}
		this.starting.clear();
	}

	/**
	 * Returns the names of the running clients.
	 * @return the names
	 */
	List<String> names() {
		return this.running.entrySet().stream().filter((e) -> e.getValue().isAlive()).map(Map.Entry::getKey).sorted()
			.toList();
	}

	/**
	 * Kills a client with SIGKILL.
	 * @param name the client
	 */
	void kill(String name) {
		Process process = this.running.remove(name);
		if (process != null) {
			process.destroyForcibly();
			waitFor(process, 10);
			STARTED.remove(process);
		}
	}

	/**
	 * Sends {@code SIGSTOP} or {@code SIGCONT} to a client.
	 * @param name the client
	 * @param signal {@code STOP} or {@code CONT}
	 */
	void signal(String name, String signal) {
		Process process = this.running.get(name);
		if (process != null) {
			signal(process, signal);
		}
	}

	private static void signal(Process process, String signal) {
		try {
			Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
			kill.waitFor(5, TimeUnit.SECONDS);
		}
		catch (IOException ex) {
			// the process is gone
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * Stops every client gracefully (each releases what it holds), killing those that do not exit in time.
	 * @return the names of the clients that had to be killed
	 */
	List<String> stopAll() {
		List<String> killed = new ArrayList<>();
		this.running.values().forEach((process) -> signal(process, "CONT"));
		this.running.values().forEach((process) -> {
			try {
				OutputStream in = process.getOutputStream();
				in.write("stop\n".getBytes(StandardCharsets.UTF_8));
				in.close();
			}
			catch (IOException ex) {
				// already gone
			}
		});
		this.running.forEach((name, process) -> {
			if (!waitFor(process, 20)) {
				process.destroyForcibly();
				waitFor(process, 10);
				killed.add(name);
			}
			STARTED.remove(process);
		});
		this.running.clear();
		return killed;
	}

	private static boolean waitFor(Process process, int seconds) {
		try {
			return process.waitFor(seconds, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

	@Override
	public void close() {
		this.running.values().forEach((process) -> {
			signal(process, "CONT");
			process.destroyForcibly();
			STARTED.remove(process);
		});
		this.running.clear();
	}

}
