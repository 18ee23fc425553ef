package dev.locksmith.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

import dev.locksmith.benchmarks.report.Results;

import static dev.locksmith.benchmarks.ContenderNames.FLOOR_PG;
import static dev.locksmith.benchmarks.ContenderNames.FLOOR_REDIS;
import static dev.locksmith.benchmarks.ContenderNames.LOCKSMITH_ADVISORY;
import static dev.locksmith.benchmarks.ContenderNames.LOCKSMITH_JDBC;
import static dev.locksmith.benchmarks.ContenderNames.LOCKSMITH_REDIS;
import static dev.locksmith.benchmarks.ContenderNames.REDISSON;
import static dev.locksmith.benchmarks.ContenderNames.SI_JDBC;
import static dev.locksmith.benchmarks.ContenderNames.SI_REDIS;

/**
 * The performance goals, checked within one run. A ratio goal is judged on the median of the
 * per-repetition ratios (both sides measured in the same repetition, contenders alternating), which a slow
 * or fast stretch of a shared machine moves far less than a ratio of two medians; the medians are shown
 * alongside.
 */
final class Goals {

	private final Results results;

	private final List<String> rows = new ArrayList<>();

	Goals(Results results) {
		this.results = results;
	}

	/**
	 * Evaluates every goal.
	 * @param jmhMemoryNs memory acquire+release in ns/op, or NaN if not measured
	 * @param jmhAspectOverheadNs aspect overhead in ns/op, or NaN if not measured
	 * @return a markdown table, one row per goal
	 */
	String evaluate(double jmhMemoryNs, double jmhAspectOverheadNs) {
		ratio("Redis S1 p50 ≤ 1.15× raw floor", m("S1", "p50 µs", LOCKSMITH_REDIS), m("S1", "p50 µs", FLOOR_REDIS),
				1.15, true);
		ratio("Redis S1 p50 ≤ Redisson", m("S1", "p50 µs", LOCKSMITH_REDIS), m("S1", "p50 µs", REDISSON), 1.0, true);
		ratio("Redis S2 ops/s ≥ 0.85× raw floor", m("S2", "ops/s", LOCKSMITH_REDIS), m("S2", "ops/s", FLOOR_REDIS),
				0.85, false);
		ratio("Redis S2 ops/s ≥ Redisson", m("S2", "ops/s", LOCKSMITH_REDIS), m("S2", "ops/s", REDISSON), 1.0, false);
		ratio("Redis S3 4t sections/s ≥ Redisson", m("S3 4t", "sections/s", LOCKSMITH_REDIS),
				m("S3 4t", "sections/s", REDISSON), 1.0, false);
		ratio("Redis S3 16t sections/s ≥ Redisson", m("S3 16t", "sections/s", LOCKSMITH_REDIS),
				m("S3 16t", "sections/s", REDISSON), 1.0, false);
		ratio("Redis S4 p50 ≤ 2 round trips (= floor S1 p50)", m("S4", "p50 µs", LOCKSMITH_REDIS),
				m("S1", "p50 µs", FLOOR_REDIS), 1.0, true);
		ratio("Redis S4 p50 far below polling (SI RedisLockRegistry, ≤ 0.1×)", m("S4", "p50 µs", LOCKSMITH_REDIS),
				m("S4", "p50 µs", SI_REDIS), 0.1, true);
		ratio("JDBC table S1 p50 ≤ 0.5× SI JdbcLockRegistry", m("S1", "p50 µs", LOCKSMITH_JDBC),
				m("S1", "p50 µs", SI_JDBC), 0.5, true);
		ratio("JDBC advisory S1 p50 ≤ 1.5× raw floor", m("S1", "p50 µs", LOCKSMITH_ADVISORY),
				m("S1", "p50 µs", FLOOR_PG), 1.5, true);
		absolute("Memory acquire+release ≤ 1 µs (JMH)", jmhMemoryNs / 1000.0, 1.0);
		absolute("@DistributedLock overhead ≤ 2 µs (JMH)", jmhAspectOverheadNs / 1000.0, 2.0);
		for (String name : List.of(LOCKSMITH_REDIS, LOCKSMITH_JDBC)) {
			OptionalDouble small = get("S5", "commands/tick @1,000", name);
			OptionalDouble large = get("S5", "commands/tick @10,000", name);
			String goal = name + " S5 server commands/tick independent of leases";
			if (small.isEmpty() || large.isEmpty()) {
				row(goal, "not measured", "not measured");
			}
			else {
				boolean met = large.getAsDouble() <= Math.max(1.5 * small.getAsDouble(), small.getAsDouble() + 1);
				row(goal, Results.format(small.getAsDouble()) + " @1,000 vs " + Results.format(large.getAsDouble())
						+ " @10,000", met ? "met" : "MISSED");
			}
		}
		List<String> violations = this.results.violations();
		row("No mutual-exclusion violation in S3", violations.isEmpty() ? "none" : String.join("; ", violations),
				violations.isEmpty() ? "met" : "MISSED");
		StringBuilder out = new StringBuilder("| goal | measured | status |\n|---|---|---|\n");
		this.rows.forEach(out::append);
		return out.toString();
	}

	private OptionalDouble get(String scenario, String metric, String contender) {
		return this.results.median(scenario, metric, contender);
	}

	private void ratio(String goal, Metric ours, Metric reference, double limit, boolean atMost) {
		OptionalDouble oursMedian = get(ours.scenario(), ours.metric(), ours.contender());
		OptionalDouble referenceMedian = get(reference.scenario(), reference.metric(), reference.contender());
		OptionalDouble paired = this.results.medianPairedRatio(ours.scenario(), ours.metric(), ours.contender(),
				reference.scenario(), reference.metric(), reference.contender());
		if (oursMedian.isEmpty() || referenceMedian.isEmpty() || paired.isEmpty()) {
			row(goal, "not measured", "not measured");
			return;
		}
		double ratio = paired.getAsDouble();
		boolean met = atMost ? ratio <= limit : ratio >= limit;
		row(goal, Results.format(oursMedian.getAsDouble()) + " vs " + Results.format(referenceMedian.getAsDouble())
				+ String.format(java.util.Locale.ROOT, " → %.2f× (median of per-repetition ratios; %.2f× of medians)",
						ratio, oursMedian.getAsDouble() / referenceMedian.getAsDouble()),
				met ? "met" : "MISSED");
	}

	private static Metric m(String scenario, String metric, String contender) {
		return new Metric(scenario, metric, contender);
	}

	/** One metric of one contender in one scenario. */
	private record Metric(String scenario, String metric, String contender) {
	}

	private void absolute(String goal, double valueMicros, double limitMicros) {
		if (Double.isNaN(valueMicros)) {
			row(goal, "not measured", "not measured");
			return;
		}
		row(goal, String.format(java.util.Locale.ROOT, "%.3f µs", valueMicros),
				(valueMicros <= limitMicros) ? "met" : "MISSED");
	}

	private void row(String goal, String measured, String status) {
		this.rows.add("| " + goal + " | " + measured + " | " + status + " |\n");
	}

}
