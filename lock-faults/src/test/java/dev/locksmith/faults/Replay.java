package dev.locksmith.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Checks the histories of a saved run again (needs only the module's test classes):
 * {@code java -cp lock-faults/target/test-classes dev.locksmith.faults.Replay lock-faults/target/faults/<run> [ttlMs]}.
 */
public final class Replay {

	private Replay() {
	}

	/**
	 * Prints the report of a run directory.
	 * @param args the directory, and optionally the TTL in ms (default 1500)
	 * @throws IOException if a history cannot be read
	 */
	public static void main(String[] args) throws IOException {
		if (args.length < 1) {
			throw new IllegalArgumentException("Replay: usage: Replay <run directory> [ttlMs]");
		}
		Duration ttl = Duration.ofMillis((args.length > 1) ? Long.parseLong(args[1]) : 1500);
		Checker.Report report = new Checker(settings(ttl)).check(readHistories(Path.of(args[0])));
		System.out.println(report.toString().replace(", anomalies=", "\n"));
		report.anomalies().forEach(System.out::println);
	}

	/**
	 * Returns the checker's bounds for a TTL: recovery within TTL + 3 s, free stretches of 1 s.
	 * @param ttl the TTL
	 * @return the settings
	 */
	static Checker.Settings settings(Duration ttl) {
		return new Checker.Settings(ttl, Duration.ofSeconds(3), Duration.ofSeconds(1));
	}

	/**
	 * Reads every {@code *.history} file of a run directory.
	 * @param directory the directory
	 * @return the events
	 * @throws IOException if a file cannot be read
	 */
	static List<Event> readHistories(Path directory) throws IOException {
		List<Event> events = new ArrayList<>();
		try (Stream<Path> files = Files.list(directory)) {
			for (Path file : files.filter((f) -> f.toString().endsWith(".history")).sorted().toList()) {
				for (String line : Files.readAllLines(file)) {
					if (!line.isBlank()) {
						try {
							events.add(Event.parse(line));
						}
						catch (IllegalArgumentException ex) {
							// the last line of a killed client may be cut short
						}
					}
				}
			}
		}
		return events;
	}

}
