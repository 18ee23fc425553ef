package dev.locksmith.faults;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A campaign: every backend × fault pair, one run each, and the table of results. The histories of
 * failed runs stay in the output directory for replay; those of passed runs are deleted.
 */
final class Campaign {

	private Campaign() {
	}

	/**
	 * Runs the pairs in order and prints a row as each finishes.
	 * @param backends the backends
	 * @param faults the fault kinds (skipped where a backend does not support one)
	 * @param template the settings of each run (its backend and fault are replaced)
	 * @param output where runs write their histories
	 * @return the results
	 * @throws Exception if a run could not be set up
	 */
	static List<FaultRun.Result> run(List<String> backends, List<Fault> faults, FaultRun.Config template, Path output)
			throws Exception {
		List<FaultRun.Result> results = new ArrayList<>();
		System.out.println(header());
		for (String backend : backends) {
			for (Fault fault : faults) {
				if (!supported(backend, fault)) {
					continue;
				}
				FaultRun.Config config = new FaultRun.Config(backend, fault, template.seed(), template.clients(),
						template.threads(), template.ttl(), template.duration(), template.broken());
				long started = System.nanoTime();
				FaultRun.Result result = FaultRun.run(config, output);
				results.add(result);
				System.out.println(row(result) + "  (" + Duration.ofNanos(System.nanoTime() - started).toSeconds() + " s)");
				if (result.failed() || !result.report().anomalies().isEmpty()) {
					result.report().anomalies().stream().limit(20).forEach((a) -> System.out.println("    " + a));
				}
				if (result.failed() || Boolean.getBoolean("faults.keep")) {
					System.out.println("    histories: " + result.directory());
				}
				else {
					FaultRun.deleteRecursively(result.directory());
				}
			}
		}
		return results;
	}

	static boolean supported(String backend, Fault fault) {
		return switch (backend) {
			case "memory" -> fault == Fault.NONE || fault == Fault.CLOCK;
			case "redis", "redlock", "etcd" -> fault != Fault.TERMINATE;
			default -> fault != Fault.RESTART;
		};
	}

	/**
	 * Returns the table header (Markdown).
	 * @return two lines
	 */
	static String header() {
		return "| backend | fault | ops | faults | stale writes accepted | overlaps caught / not caught | "
				+ "believed overlaps | missing / late loss reports | max loss report ms | max recovery ms | "
				+ "timed out while free | leaks | verdict |\n"
				+ "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|";
	}

	/**
	 * Returns one table row.
	 * @param result the run
	 * @return the row
	 */
	static String row(FaultRun.Result result) {
		Checker.Report r = result.report();
		return String.format(Locale.ROOT, "| %s | %s | %d | %d | %d | %d / %d | %d | %d / %d | %d | %d | %d | %d | %s |",
				result.config().backend(), result.config().fault().label(), result.operations(), r.faults(),
				r.staleAccepted(), r.overlapsCaught(), r.overlapsNotCaught(), r.believedOverlaps(), r.missingLoss(),
				r.lateLoss(), r.maxLossReportMillis(), r.maxRecoveryMillis(), r.timedOutWhileFree(), r.leaks(),
				result.failed() ? "FAIL" : "pass");
	}

}
