package dev.locksmith.leader;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;

/**
 * A {@link LeaderCandidateMain} child JVM, started with the current java and the test class path: sends it
 * commands and collects its {@code @@} protocol lines (every output line is also kept in a log file).
 */
final class CandidateProcess implements AutoCloseable {

	private final String label;

	private final Process process;

	private final Writer commands;

	private final List<String> lines = new CopyOnWriteArrayList<>();

	private final Path log;

	private CandidateProcess(String label, Process process, Path log) {
		this.label = label;
		this.process = process;
		this.log = log;
		this.commands = process.outputWriter(StandardCharsets.UTF_8);
		Thread reader = new Thread(this::readOutput, "candidate-" + label + "-output");
		reader.setDaemon(true);
		reader.start();
	}

	static CandidateProcess start(String label, Path logDir, List<String> args) throws IOException {
		String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home")
				+ File.separator + "bin" + File.separator + "java");
		List<String> command = new ArrayList<>(List.of(java, "-Xmx128m", "-XX:TieredStopAtLevel=1",
				"-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), LeaderCandidateMain.class.getName()));
		command.addAll(args);
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		return new CandidateProcess(label, process, logDir.resolve("candidate-" + label + ".log"));
	}

	private void readOutput() {
		try (BufferedReader reader = new BufferedReader(
				new InputStreamReader(this.process.getInputStream(), StandardCharsets.UTF_8));
				Writer file = Files.newBufferedWriter(this.log)) {
			String line;
			while ((line = reader.readLine()) != null) {
				file.write(line);
				file.write('\n');
				file.flush();
				if (line.startsWith("@@ ")) {
					this.lines.add(line.substring(3));
				}
			}
		}
		catch (IOException ex) {
			// the process died; the lines so far stay
		}
	}

	String label() {
		return this.label;
	}

	long pid() {
		return this.process.pid();
	}

	Process process() {
		return this.process;
	}

	/** Returns how many protocol lines were read so far: a cursor for {@link #awaitLine}. */
	int mark() {
		return this.lines.size();
	}

	void send(String command) {
		try {
			this.commands.write(command + "\n");
			this.commands.flush();
		}
		catch (IOException ex) {
			throw new IllegalStateException("candidate " + this.label + " does not read commands", ex);
		}
	}

	/** Waits for the first protocol line at or after {@code from} that matches {@code regex}. */
	Matcher awaitLine(int from, String regex, Duration timeout) {
		Pattern pattern = Pattern.compile(regex);
		Matcher[] found = new Matcher[1];
		await().atMost(timeout).pollInterval(Duration.ofMillis(10)).alias(this + " prints " + regex).until(() -> {
			found[0] = find(from, pattern);
			return found[0] != null;
		});
		return found[0];
	}

	/** Returns the first protocol line at or after {@code from} matching {@code regex}, or null. */
	Matcher find(int from, String regex) {
		return find(from, Pattern.compile(regex));
	}

	private Matcher find(int from, Pattern pattern) {
		for (int i = from; i < this.lines.size(); i++) {
			Matcher matcher = pattern.matcher(this.lines.get(i));
			if (matcher.matches()) {
				return matcher;
			}
		}
		return null;
	}

	/** Returns the protocol line at {@code index} (waiting for it). */
	String lineAt(int index, Duration timeout) {
		await().atMost(timeout).pollInterval(Duration.ofMillis(10)).until(() -> this.lines.size() > index);
		return this.lines.get(index);
	}

	void signal(String signal) throws IOException, InterruptedException {
		Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).inheritIO().start();
		if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
			throw new IllegalStateException("kill -" + signal + " " + pid() + " failed");
		}
	}

	String output() {
		try {
			return Files.readString(this.log);
		}
		catch (IOException ex) {
			return "(no log: " + ex + ")";
		}
	}

	@Override
	public void close() {
		this.process.destroyForcibly();
	}

	@Override
	public String toString() {
		return "candidate " + this.label + " (pid " + this.process.pid() + ")";
	}

}
