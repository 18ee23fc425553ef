package dev.locksmith.benchmarks.report;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Every measured value of a run, one per (scenario, metric, contender, repetition), plus notes
 * (errors, violations, n/a reasons). Summarises them as median, min and max over the repetitions.
 */
public final class Results {

	private final List<Sample> samples = new CopyOnWriteArrayList<>();

	private final Map<String, String> notes = Collections.synchronizedMap(new LinkedHashMap<>());

	private final List<String> violations = new CopyOnWriteArrayList<>();

	/**
	 * Records one value.
	 * @param scenario scenario id, e.g. {@code S1}
	 * @param metric metric name with its unit, e.g. {@code p50 µs}
	 * @param contender contender name
	 * @param repetition repetition number, starting at 1
	 * @param value the value
	 */
	public void add(String scenario, String metric, String contender, int repetition, double value) {
		this.samples.add(new Sample(scenario, metric, contender, repetition, value));
	}

	/**
	 * Records a note shown in a cell instead of numbers (e.g. {@code n/a: cannot wait}).
	 * @param scenario scenario id
	 * @param contender contender name
	 * @param note the note
	 */
	public void note(String scenario, String contender, String note) {
		this.notes.putIfAbsent(scenario + "|" + contender, note);
	}

	/**
	 * Records a mutual-exclusion violation; printed loudly and kept for the summary.
	 * @param message what was violated, with the numbers
	 */
	public void violation(String message) {
		this.violations.add(message);
		System.err.println();
		System.err.println("!!!!!!!! MUTUAL EXCLUSION VIOLATED: " + message + " !!!!!!!!");
		System.err.println();
	}

	/**
	 * Notes of one scenario, keyed by contender.
	 * @param scenario scenario id
	 * @return the notes in insertion order
	 */
	public Map<String, String> notes(String scenario) {
		Map<String, String> result = new LinkedHashMap<>();
		synchronized (this.notes) {
			this.notes.forEach((key, value) -> {
				if (key.startsWith(scenario + "|")) {
					result.put(key.substring(scenario.length() + 1), value);
				}
			});
		}
		return result;
	}

	/**
	 * Violations recorded so far.
	 * @return the messages
	 */
	public List<String> violations() {
		return List.copyOf(this.violations);
	}

	/**
	 * Median over the repetitions of one metric.
	 * @param scenario scenario id
	 * @param metric metric name
	 * @param contender contender name
	 * @return the median, or empty if nothing was measured
	 */
	public OptionalDouble median(String scenario, String metric, String contender) {
		double[] values = values(scenario, metric, contender);
		return (values.length != 0) ? OptionalDouble.of(median(values)) : OptionalDouble.empty();
	}

	/**
	 * Median over the repetitions of the ratio of two metrics measured in the same repetition, so that a slow
	 * or fast stretch of the machine affects both sides of each ratio alike.
	 * @param scenario scenario id of the numerator
	 * @param metric metric of the numerator
	 * @param contender contender of the numerator
	 * @param refScenario scenario id of the denominator
	 * @param refMetric metric of the denominator
	 * @param refContender contender of the denominator
	 * @return the median ratio, or empty if no repetition measured both
	 */
	public OptionalDouble medianPairedRatio(String scenario, String metric, String contender, String refScenario,
			String refMetric, String refContender) {
		Map<Integer, Double> references = new LinkedHashMap<>();
		this.samples.stream()
			.filter((s) -> s.scenario.equals(refScenario) && s.metric.equals(refMetric) && s.contender.equals(refContender))
			.forEach((s) -> references.put(s.repetition, s.value));
		double[] ratios = this.samples.stream()
			.filter((s) -> s.scenario.equals(scenario) && s.metric.equals(metric) && s.contender.equals(contender))
			.filter((s) -> references.containsKey(s.repetition) && references.get(s.repetition) > 0)
			.mapToDouble((s) -> s.value / references.get(s.repetition))
			.sorted()
			.toArray();
		return (ratios.length != 0) ? OptionalDouble.of(median(ratios)) : OptionalDouble.empty();
	}

	private double[] values(String scenario, String metric, String contender) {
		return this.samples.stream()
			.filter((s) -> s.scenario.equals(scenario) && s.metric.equals(metric) && s.contender.equals(contender))
			.mapToDouble(Sample::value)
			.sorted()
			.toArray();
	}

	private static double median(double[] sorted) {
		int n = sorted.length;
		return ((n % 2) == 1) ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
	}

	/**
	 * Returns the scenario ids that have samples, in the order first seen.
	 * @return the ids
	 */
	public List<String> scenarios() {
		Set<String> ids = new LinkedHashSet<>();
		for (Sample sample : this.samples) {
			ids.add(sample.scenario);
		}
		return List.copyOf(ids);
	}

	/**
	 * Renders one markdown table for a scenario: a row per contender, a column per metric, each cell
	 * {@code median (min–max)} over the repetitions.
	 * @param scenario scenario id
	 * @param title heading shown above the table
	 * @param contenders row order
	 * @return markdown
	 */
	public String table(String scenario, String title, List<String> contenders) {
		Set<String> metrics = new LinkedHashSet<>();
		for (Sample sample : this.samples) {
			if (sample.scenario.equals(scenario)) {
				metrics.add(sample.metric);
			}
		}
		StringBuilder out = new StringBuilder();
		out.append("**").append(scenario).append(": ").append(title).append("**\n\n");
		out.append("| contender |");
		metrics.forEach((metric) -> out.append(' ').append(metric).append(" |"));
		out.append('\n').append("|---|");
		metrics.forEach((metric) -> out.append("---:|"));
		out.append('\n');
		for (String contender : contenders) {
			String note = this.notes.get(scenario + "|" + contender);
			boolean any = metrics.stream().anyMatch((m) -> values(scenario, m, contender).length > 0);
			if (!any && note == null) {
				continue;
			}
			out.append("| ").append(contender).append(" |");
			for (String metric : metrics) {
				double[] values = values(scenario, metric, contender);
				out.append(' ');
				if (values.length == 0) {
					out.append((note != null) ? note : "–");
				}
				else {
					out.append(format(median(values)));
					if (values.length > 1) {
						out.append(" (").append(format(values[0])).append("–").append(format(values[values.length - 1])).append(')');
					}
					if (note != null && metric.equals(metrics.iterator().next())) {
						out.append(" ⚠ ").append(note);
					}
				}
				out.append(" |");
			}
			out.append('\n');
		}
		return out.toString();
	}

	/**
	 * Formats a number for a table cell: no decimals from 100 up, one below, two below 10.
	 * @param value the number
	 * @return the text
	 */
	public static String format(double value) {
		double abs = Math.abs(value);
		if (abs >= 100) {
			return String.format(Locale.ROOT, "%,.0f", value);
		}
		if (abs >= 10) {
			return String.format(Locale.ROOT, "%.1f", value);
		}
		return String.format(Locale.ROOT, "%.2f", value);
	}

	/**
	 * Writes every sample as CSV ({@code scenario,metric,contender,repetition,value}).
	 * @param file target file (parent directories are created)
	 * @throws IOException if the file cannot be written
	 */
	public void writeCsv(Path file) throws IOException {
		Path parent = file.toAbsolutePath().getParent();
		if (parent != null) {
			Files.createDirectories(parent);
		}
		try (Writer writer = Files.newBufferedWriter(file)) {
			writer.write("scenario,metric,contender,repetition,value\n");
			for (Sample sample : this.samples) {
				writer.write(String.join(",", csv(sample.scenario), csv(sample.metric), csv(sample.contender),
						Integer.toString(sample.repetition), Double.toString(sample.value)));
				writer.write('\n');
			}
			for (Map.Entry<String, String> note : new ArrayList<>(this.notes.entrySet())) {
				String[] parts = note.getKey().split("\\|", 2);
				writer.write(String.join(",", csv(parts[0]), csv("note"), csv(parts[1]), "0", csv(note.getValue())));
				writer.write('\n');
			}
		}
	}

	private static String csv(String value) {
		if (value.contains(",") || value.contains("\"")) {
			return '"' + value.replace("\"", "\"\"") + '"';
		}
		return value;
	}

	/**
	 * Percentile of nanosecond samples, in microseconds (nearest rank).
	 * @param nanos samples (sorted in place)
	 * @param count number of valid samples at the start of the array
	 * @param percentile 0–100
	 * @return the percentile in µs
	 */
	public static double percentileMicros(long[] nanos, int count, double percentile) {
		if (count == 0) {
			return Double.NaN;
		}
		Arrays.sort(nanos, 0, count);
		int rank = (int) Math.ceil(percentile / 100.0 * count);
		return nanos[Math.max(0, Math.min(count - 1, rank - 1))] / 1_000.0;
	}

	private record Sample(String scenario, String metric, String contender, int repetition, double value) {
	}

}
