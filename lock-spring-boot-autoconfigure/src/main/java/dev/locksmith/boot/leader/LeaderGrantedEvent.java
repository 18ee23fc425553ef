package dev.locksmith.boot.leader;

import org.springframework.context.ApplicationEvent;

import dev.locksmith.leader.LeaderElection;
import dev.locksmith.leader.Leadership;

/**
 * Published when this application became leader of an election (the counterpart of Spring Integration's
 * {@code OnGrantedEvent}). Published on the election's event thread; the source is the
 * {@link LeaderElection}.
 */
public class LeaderGrantedEvent extends ApplicationEvent {

	/** The leadership that was granted. */
	private final Leadership leadership;

	/**
	 * Creates the event.
	 * @param election the election
	 * @param leadership the term won
	 */
	public LeaderGrantedEvent(LeaderElection election, Leadership leadership) {
		super(election);
		this.leadership = leadership;
	}

	/**
	 * Returns the election.
	 * @return the election
	 */
	public LeaderElection getElection() {
		return (LeaderElection) getSource();
	}

	/**
	 * Returns the term won; fence writes with {@link Leadership#term()}.
	 * @return the leadership
	 */
	public Leadership getLeadership() {
		return this.leadership;
	}

}
