package dev.locksmith.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.fail;

/**
 * Runs the simulation ({@link Simulation}) on random operation sequences and checks
 * {@link LeaseInvariants} after every step. CI runs fixed seeds plus a few random ones (printed); a failing
 * seed is shrunk to a short sequence and printed with the command that replays it.
 *
 * <ul>
 * <li>{@code -Dlocksmith.sim.seed=N} replays seed N only (and shrinks it if it fails).</li>
 * <li>{@code -Dlocksmith.campaign.minutes=M} runs random seeds for M minutes and prints sequences per second
 * and what was covered (operation, outcome and fault counts).</li>
 * <li>{@code -Dlocksmith.sim.budgetSeconds=S} bounds the CI run (default 60).</li>
 * </ul>
 */
class SimulationTests {

	/**
	 * Seeds every CI run checks (they cover restarts, lost replies, outages, waits and extends).
	 * 88106849628479: a waiter's sleep overrun by another client's renewal round trip in the last tick
	 * (invariant 6 must allow the simulation's own delay, {@link LeaseInvariants#checkWaiter}).
	 * 223657163715675: a caller retries the release of a minimum-hold lease whose first reply was lost; the
	 * re-sent extend moves the expiry by a one-way latency (invariant 5 allows it within the minimum hold).
	 */
	static final long[] FIXED_SEEDS = { 1, 2, 3, 4, 5, 6, 88106849628479L, 223657163715675L, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 42, 1234,
			20261130 };

	/** Fixed seeds run before the first random ones. */
	static final int FIXED_FIRST = 8;

	/** Random seeds run right after the first fixed ones. */
	static final int RANDOM_EARLY = 3;

	static final int LENGTH = 80;

	@Test
	void invariantsHoldOnRandomOperationSequences() {
		String replay = System.getProperty("locksmith.sim.seed");
		double minutes = Double.parseDouble(System.getProperty("locksmith.campaign.minutes", "0"));
		if (replay != null) {
			check(runSeeds(List.of(Long.parseLong(replay)), Long.MAX_VALUE, "replay"));
			return;
		}
		if (minutes > 0) {
			check(campaign((long) (minutes * 60_000)));
			return;
		}
		long budgetMs = 1000L * Long.parseLong(System.getProperty("locksmith.sim.budgetSeconds", "60"));
		check(runSeeds(ciSeeds(new SplittableRandom()), System.currentTimeMillis() + budgetMs, "ci"));
	}

	/**
	 * The CI seeds, in the order they run until the budget is spent: the first {@link #FIXED_FIRST} fixed
	 * seeds, then {@link #RANDOM_EARLY} random ones (so a loaded machine still runs some), then the other
	 * fixed seeds, then more random ones.
	 */
	static List<Long> ciSeeds(SplittableRandom random) {
		List<Long> seeds = new ArrayList<>();
		for (int i = 0; i < FIXED_SEEDS.length; i++) {
			if (i == FIXED_FIRST) {
				for (int r = 0; r < RANDOM_EARLY; r++) {
					seeds.add(random.nextLong(1L << 48));
				}
			}
			seeds.add(FIXED_SEEDS[i]);
		}
		for (int r = 0; r < 20 - RANDOM_EARLY; r++) {
			seeds.add(random.nextLong(1L << 48));
		}
		return seeds;
	}

	private static void check(String failure) {
		if (failure != null) {
			fail(failure);
		}
	}

	/** Runs the seeds in order until the deadline; returns the failure report or null. */
	static String runSeeds(List<Long> seeds, long deadlineMillis, String what) {
		long start = System.nanoTime();
		long steps = 0;
		int ran = 0;
		Map<String, Long> coverage = new TreeMap<>();
		StringBuilder printed = new StringBuilder();
		if (seeds.size() > 1) {
			System.out.println("[sim " + what + "] seeds in order (until the budget is spent): " + seeds);
		}
		for (long seed : seeds) {
			if (System.currentTimeMillis() > deadlineMillis) {
				break;
			}
			printed.append(seed).append(' ');
			List<Op> ops = new OpGenerator(seed, Simulation.CLIENTS).sequence(LENGTH);
			Simulation.Result result = new Simulation(seed).run(ops);
			ran++;
			steps += result.steps();
			Simulation.merge(coverage, result.coverage());
			if (result.failed()) {
				return report(seed, ops, result, ran, steps, start);
			}
		}
		System.out.printf("[sim %s] %d sequences (%d checked steps) passed in %.1f s; seeds: %s%n", what, ran, steps,
				(System.nanoTime() - start) / 1e9, printed);
		System.out.println("[sim " + what + "] coverage: " + coverage);
		return null;
	}

	/**
	 * Runs random seeds until the time is up. It does not stop at a failure: it counts failing sequences per
	 * invariant, shrinks the first of each, and reports them all at the end.
	 */
	static String campaign(long millis) {
		long start = System.nanoTime();
		long deadline = System.currentTimeMillis() + millis;
		SplittableRandom random = new SplittableRandom();
		Map<String, Long> coverage = new TreeMap<>();
		Map<Integer, Long> failures = new TreeMap<>();
		StringBuilder reports = new StringBuilder();
		long sequences = 0;
		long steps = 0;
		while (System.currentTimeMillis() < deadline) {
			long seed = random.nextLong(1L << 48);
			List<Op> ops = new OpGenerator(seed, Simulation.CLIENTS).sequence(LENGTH);
			Simulation.Result result = new Simulation(seed).run(ops);
			sequences++;
			steps += result.steps();
			Simulation.merge(coverage, result.coverage());
			if (result.failed()) {
				int invariant = result.violation().invariant();
				if (failures.merge(invariant, 1L, Long::sum) == 1) {
					reports.append(report(seed, ops, result, (int) sequences, steps, start)).append('\n');
				}
			}
		}
		double seconds = (System.nanoTime() - start) / 1e9;
		System.out.printf("[sim campaign] %d sequences of %d operations, %d checked steps in %.0f s: %.1f sequences/s, %.0f steps/s%n",
				sequences, LENGTH, steps, seconds, sequences / seconds, steps / seconds);
		System.out.println("[sim campaign] failing sequences per invariant: " + failures);
		System.out.println("[sim campaign] coverage: " + coverage);
		return failures.isEmpty() ? null : "failing sequences per invariant " + failures + "\n" + reports;
	}

	static String report(long seed, List<Op> ops, Simulation.Result result, int sequences, long steps, long startNanos) {
		double found = (System.nanoTime() - startNanos) / 1e9;
		List<Op> upTo = ops.subList(0, Math.min(ops.size(), result.failedAt() + 1));
		Shrinker shrinker = new Shrinker(seed, result.violation().invariant(), 400);
		List<Op> shrunk = shrinker.shrink(upTo);
		Simulation.Result again = new Simulation(seed).run(shrunk);
		StringBuilder text = new StringBuilder();
		text.append(String.format("Seed %d broke %s%nFound after %d sequences (%d checked steps) in %.1f s, at operation #%d.%n",
				seed, result.violation(), sequences, steps, found, result.failedAt()));
		text.append(String.format("Shrunk from %d to %d operations (%d runs); the shrunk run says: %s%n", upTo.size(),
				shrunk.size(), shrinker.runs(), again.violation()));
		for (int i = 0; i < shrunk.size(); i++) {
			text.append("  #").append(i).append(' ').append(shrunk.get(i)).append('\n');
		}
		text.append("Replay: ./mvnw -o -pl lock-core test -Dtest=SimulationTests -Dlocksmith.sim.seed=").append(seed);
		String without = System.getProperty("locksmith.sim.without", "");
		if (!without.isEmpty()) {
			text.append(" -Dlocksmith.sim.without=").append(without);
		}
		String ignore = System.getProperty("locksmith.sim.ignore", "");
		if (!ignore.isEmpty()) {
			text.append(" -Dlocksmith.sim.ignore=").append(ignore);
		}
		System.out.println(text);
		return text.toString();
	}


}
