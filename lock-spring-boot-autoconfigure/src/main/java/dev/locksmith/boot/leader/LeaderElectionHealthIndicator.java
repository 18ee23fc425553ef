package dev.locksmith.boot.leader;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import dev.locksmith.leader.LeaderElection;

/**
 * Leadership as health details: for each election, whether it runs, whether this application leads, and
 * the term. Always {@code UP}: following rather than leading is healthy; the lock backend's own health is
 * {@code LocksmithHealthIndicator}'s.
 */
public class LeaderElectionHealthIndicator extends AbstractHealthIndicator {

	private final List<LeaderElection> elections;

	/**
	 * Creates the indicator.
	 * @param elections the elections to report
	 */
	public LeaderElectionHealthIndicator(List<LeaderElection> elections) {
		super("Leader election health check failed");
		this.elections = List.copyOf(elections);
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		builder.up();
		for (LeaderElection election : this.elections) {
			builder.withDetail(election.name(), describe(election));
		}
	}

	static Map<String, Object> describe(LeaderElection election) {
		Map<String, Object> details = new LinkedHashMap<>();
		details.put("running", election.isRunning());
		details.put("leader", election.isLeader());
		election.leadership().ifPresent((leadership) -> details.put("term", leadership.term()));
		return details;
	}

}
