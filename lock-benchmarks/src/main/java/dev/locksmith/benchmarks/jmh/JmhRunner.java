package dev.locksmith.benchmarks.jmh;

import java.util.Collection;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import dev.locksmith.benchmarks.report.Results;

/**
 * Runs the JMH micro-benchmarks of this module (one fork, short iterations) and records their scores.
 */
public final class JmhRunner {

	/** Row name: memory provider acquire+release. */
	public static final String MEMORY = "memory acquire+release";

	/** Row name: direct {@code MutexService.withLock} call. */
	public static final String DIRECT = "direct MutexService.withLock";

	/** Row name: the same call through {@code @DistributedLock}. */
	public static final String ASPECT = "@DistributedLock method";

	private JmhRunner() {
	}

	/**
	 * Runs the benchmarks.
	 * @param results where the scores go (scenario {@code JMH}, metric {@code ns/op})
	 * @param quick shorter iterations
	 * @return {memory acquire+release ns/op, aspect overhead ns/op}; NaN where not measured
	 */
	public static double[] run(Results results, boolean quick) {
		Options options = new OptionsBuilder().include(JmhRunner.class.getPackageName() + "\\..*Benchmark.*")
			.forks(1)
			.warmupIterations(quick ? 3 : 5)
			.warmupTime(TimeValue.seconds(1))
			.measurementIterations(quick ? 3 : 5)
			.measurementTime(TimeValue.seconds(1))
			.mode(org.openjdk.jmh.annotations.Mode.AverageTime)
			.timeUnit(TimeUnit.NANOSECONDS)
			.shouldFailOnError(true)
			.build();
		double memory = Double.NaN;
		double direct = Double.NaN;
		double aspect = Double.NaN;
		try {
			Collection<RunResult> runs = new Runner(options).run();
			for (RunResult run : runs) {
				String label = run.getParams().getBenchmark();
				double score = run.getPrimaryResult().getScore();
				String row = label.endsWith("memoryAcquireRelease") ? MEMORY
						: label.endsWith("directWithLock") ? DIRECT : label.endsWith("aspectWithLock") ? ASPECT : label;
				results.add("JMH", "ns/op", row, 1, score);
				results.add("JMH", "± ns/op (99.9%)", row, 1, run.getPrimaryResult().getScoreError());
				if (row.equals(MEMORY)) {
					memory = score;
				}
				else if (row.equals(DIRECT)) {
					direct = score;
				}
				else if (row.equals(ASPECT)) {
					aspect = score;
				}
			}
		}
		catch (NoBenchmarksException ex) {
			System.err.println("No JMH benchmarks in this build");
		}
		catch (RunnerException ex) {
			System.err.println("JMH failed: " + ex);
			ex.printStackTrace();
		}
		return new double[] { memory, aspect - direct };
	}

}
