package dev.locksmith.sim;

import java.util.ArrayList;
import java.util.List;

/**
 * Shrinks a failing operation sequence (delta debugging): removes chunks of operations, halving the chunk
 * size down to single operations, keeping each removal after which a fresh simulation with the same seed
 * still breaks the same invariant. The result is a short sequence that reproduces the failure.
 */
public final class Shrinker {

	private final long seed;

	private final int invariant;

	private final int maxRuns;

	private int runs;

	/**
	 * Creates a shrinker.
	 * @param seed the seed of the failing run
	 * @param invariant the invariant it broke (kept while shrinking)
	 * @param maxRuns the most simulations to run
	 */
	public Shrinker(long seed, int invariant, int maxRuns) {
		this.seed = seed;
		this.invariant = invariant;
		this.maxRuns = maxRuns;
	}

	/**
	 * Returns how many simulations shrinking ran.
	 * @return the count
	 */
	public int runs() {
		return this.runs;
	}

	/**
	 * Shrinks {@code ops}, which must fail.
	 * @param ops the failing operations
	 * @return a shorter sequence that still fails the same way
	 */
	public List<Op> shrink(List<Op> ops) {
		List<Op> current = new ArrayList<>(ops);
		int chunk = Math.max(1, current.size() / 2);
		while (chunk >= 1 && this.runs < this.maxRuns) {
			boolean removed = false;
			for (int from = current.size() - chunk; from >= 0 && this.runs < this.maxRuns; from -= chunk) {
				List<Op> candidate = new ArrayList<>(current.subList(0, from));
				candidate.addAll(current.subList(Math.min(current.size(), from + chunk), current.size()));
				if (fails(candidate)) {
					current = candidate;
					removed = true;
				}
			}
			if (!removed) {
				chunk /= 2;
			}
		}
		return current;
	}

	private boolean fails(List<Op> ops) {
		this.runs++;
		Simulation.Result result = new Simulation(this.seed).run(ops);
		return result.failed() && result.violation().invariant() == this.invariant;
	}

}
