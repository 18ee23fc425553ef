package dev.locksmith.benchmarks.scenario;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.locksmith.benchmarks.contender.Contender;
import dev.locksmith.benchmarks.contender.Contender.Held;
import dev.locksmith.benchmarks.report.Results;

/**
 * S5: renewal cost. Holds N leases with automatic renewal (TTL {@link Settings#renewalTtl()}, so a tick
 * every third of it), waits one TTL for the renewals to settle, counts the commands the server receives
 * over the next three ticks, and reports commands per tick. (Commands, not round trips: Locksmith's Redis
 * provider sends a tick's script calls, one per 1,000 leases, in one pipeline.)
 */
public final class RenewalCost {

	private static final int TICKS = 3;

	private final Settings settings;

	private final Results results;

	/**
	 * Creates the scenario.
	 * @param settings lease counts and TTL
	 * @param results where metrics go
	 */
	public RenewalCost(Settings settings, Results results) {
		this.settings = settings;
		this.results = results;
	}

	/**
	 * Runs S5 for one contender configured with {@link Settings#renewalTtl()} and automatic renewal.
	 * @param contender the contender
	 * @param counter counts at the contender's server
	 * @param leases number of leases to hold
	 * @param rep repetition number
	 * @throws Exception if the contender fails
	 */
	public void run(Contender contender, CommandCounter counter, int leases, int rep) throws Exception {
		List<Held> held = new ArrayList<>(leases);
		String prefix = "bench:s5:" + Scenarios.slug(contender) + ":" + leases + ":" + rep + ":";
		try {
			for (int i = 0; i < leases; i++) {
				Held lease = contender.acquire(prefix + i, Duration.ZERO);
				if (lease == null) {
					throw new IllegalStateException(contender.name() + " did not acquire the fresh key " + prefix + i);
				}
				held.add(lease);
			}
			// Let the renewal schedule settle first: leases acquired over several seconds are renewed in
			// separate calls until their renewals have lined up (Redisson renews each lock on its own anyway).
			Thread.sleep(this.settings.renewalTtl().toMillis());
			CommandCounter.Window window = counter.start();
			Thread.sleep(this.settings.renewalTtl().toMillis());
			long commands = window.stop();
			this.results.add("S5", "commands/tick @" + String.format("%,d", leases), contender.name(), rep,
					commands / (double) TICKS);
			if (rep == 1) {
				this.results.note("S5 detail", contender.name() + " @" + leases, window.breakdown());
			}
		}
		finally {
			for (Held lease : held) {
				lease.release();
			}
		}
	}

}
