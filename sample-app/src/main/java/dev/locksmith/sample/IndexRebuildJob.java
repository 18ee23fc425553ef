package dev.locksmith.sample;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import dev.locksmith.boot.leader.LeaderOnly;
import dev.locksmith.leader.LeaderElection;
import dev.locksmith.leader.Leadership;

/**
 * A job that every instance schedules and only the leader runs ({@code locksmith.leader.enabled=true}):
 * unlike a lock per run, leadership stays with one instance until it stops or dies. Each run records the
 * term it ran under, which a real job would pass as the fencing token of its writes. Leadership shows in
 * {@code /actuator/locks} ({@code leaders}) and {@code /actuator/health} ({@code locksmithLeader}).
 */
@Component
public class IndexRebuildJob {

	private final LeaderElection election;

	private final AtomicInteger runs = new AtomicInteger();

	private final AtomicLong lastTerm = new AtomicLong();

	/**
	 * Creates the job.
	 * @param election the application's leader election
	 */
	public IndexRebuildJob(LeaderElection election) {
		this.election = election;
	}

	/**
	 * Rebuilds the index, on the leader only.
	 */
	@Scheduled(fixedDelayString = "${sample.index.interval:10s}")
	@LeaderOnly
	public void rebuild() {
		this.election.leadership().map(Leadership::term).ifPresent((term) -> {
			this.lastTerm.set(term);
			this.runs.incrementAndGet();
		});
	}

	/**
	 * Returns how many times this instance rebuilt the index.
	 * @return the run count
	 */
	public int runs() {
		return this.runs.get();
	}

	/**
	 * Returns the term of the last run, 0 before the first.
	 * @return the term
	 */
	public long lastTerm() {
		return this.lastTerm.get();
	}

}
