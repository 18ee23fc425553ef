package dev.locksmith.boot.leader;

import org.springframework.context.ApplicationEvent;

import dev.locksmith.leader.LeaderElection;
import dev.locksmith.leader.Leadership;
import dev.locksmith.leader.RevocationReason;

/**
 * Published when this application stopped being leader of an election (the counterpart of Spring
 * Integration's {@code OnRevokedEvent}), with the reason. Published on the election's event thread; the
 * source is the {@link LeaderElection}.
 */
public class LeaderRevokedEvent extends ApplicationEvent {

	/** The leadership that ended. */
	private final Leadership leadership;

	/** Why it ended. */
	private final RevocationReason reason;

	/**
	 * Creates the event.
	 * @param election the election
	 * @param leadership the term that ended
	 * @param reason why it ended
	 */
	public LeaderRevokedEvent(LeaderElection election, Leadership leadership, RevocationReason reason) {
		super(election);
		this.leadership = leadership;
		this.reason = reason;
	}

	/**
	 * Returns the election.
	 * @return the election
	 */
	public LeaderElection getElection() {
		return (LeaderElection) getSource();
	}

	/**
	 * Returns the term that ended.
	 * @return the leadership
	 */
	public Leadership getLeadership() {
		return this.leadership;
	}

	/**
	 * Returns why the term ended.
	 * @return the reason
	 */
	public RevocationReason getReason() {
		return this.reason;
	}

}
