package dev.locksmith.benchmarks.scenario;

import java.time.Duration;
import java.util.List;

/**
 * How long and how often each scenario runs.
 *
 * @param repetitions measured repetitions of every scenario (at least 3 for the published table)
 * @param warmup warm-up before each measured run of S1–S3
 * @param measure measured time of each S1–S3 run
 * @param s2Threads threads in S2
 * @param s3Threads thread counts in S3
 * @param handoffs hand-offs measured per S4 run
 * @param waiterParked how long S4 lets the waiter block before the holder releases
 * @param leaseCounts held leases in S5
 * @param renewalTtl lease TTL in S5 (renewal every third of it)
 */
public record Settings(int repetitions, Duration warmup, Duration measure, int s2Threads, List<Integer> s3Threads,
		int handoffs, Duration waiterParked, List<Integer> leaseCounts, Duration renewalTtl) {

	/**
	 * The settings of the published run (fits in well under 10 minutes on 2 cores).
	 * @return the defaults
	 */
	public static Settings defaults() {
		return new Settings(3, Duration.ofMillis(300), Duration.ofMillis(1000), 16, List.of(4, 16), 15,
				Duration.ofMillis(20), List.of(1_000, 10_000), Duration.ofSeconds(3));
	}

	/**
	 * A smoke-test run: same scenarios, shorter.
	 * @return quick settings
	 */
	public static Settings quick() {
		return new Settings(3, Duration.ofMillis(100), Duration.ofMillis(300), 16, List.of(4, 16), 5,
				Duration.ofMillis(20), List.of(1_000, 10_000), Duration.ofSeconds(3));
	}

}
