package dev.locksmith.boot.leader;

import org.springframework.context.ApplicationEventPublisher;

import dev.locksmith.leader.LeaderElection;
import dev.locksmith.leader.LeaderListener;
import dev.locksmith.leader.Leadership;
import dev.locksmith.leader.RevocationReason;

/**
 * Turns an election's callbacks into {@link LeaderGrantedEvent} and {@link LeaderRevokedEvent}. Not a bean
 * itself (a {@link LeaderListener} bean is added to the election it depends on): it registers with the
 * election when created.
 */
public class LeaderEventPublisher implements LeaderListener {

	private final LeaderElection election;

	private final ApplicationEventPublisher publisher;

	/**
	 * Creates the publisher and registers it with {@code election}.
	 * @param election the election
	 * @param publisher where to publish
	 */
	public LeaderEventPublisher(LeaderElection election, ApplicationEventPublisher publisher) {
		this.election = election;
		this.publisher = publisher;
		election.addListener(this);
	}

	@Override
	public void granted(Leadership leadership) {
		this.publisher.publishEvent(new LeaderGrantedEvent(this.election, leadership));
	}

	@Override
	public void revoked(Leadership leadership, RevocationReason reason) {
		this.publisher.publishEvent(new LeaderRevokedEvent(this.election, leadership, reason));
	}

}
