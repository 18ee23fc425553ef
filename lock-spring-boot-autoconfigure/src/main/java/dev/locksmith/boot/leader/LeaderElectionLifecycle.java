package dev.locksmith.boot.leader;

import org.springframework.context.SmartLifecycle;

import dev.locksmith.leader.LeaderElection;

/**
 * Starts a {@link LeaderElection} with the application context and stops it (releasing leadership) on
 * shutdown. Its phase ({@value #PHASE}) is late, so the election starts after the other lifecycle beans and
 * stops before them, and before the web server stops.
 */
public class LeaderElectionLifecycle implements SmartLifecycle {

	/** The lifecycle phase: after most beans start, before the web server's graceful shutdown. */
	public static final int PHASE = Integer.MAX_VALUE - 1000;

	private final LeaderElection election;

	private final boolean autoStartup;

	/**
	 * Creates the lifecycle.
	 * @param election the election
	 * @param autoStartup whether to start the election when the context starts
	 */
	public LeaderElectionLifecycle(LeaderElection election, boolean autoStartup) {
		this.election = election;
		this.autoStartup = autoStartup;
	}

	/**
	 * Returns the election.
	 * @return the election
	 */
	public LeaderElection getElection() {
		return this.election;
	}

	@Override
	public void start() {
		this.election.start();
	}

	@Override
	public void stop() {
		this.election.stop();
	}

	@Override
	public boolean isRunning() {
		return this.election.isRunning();
	}

	@Override
	public boolean isAutoStartup() {
		return this.autoStartup;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

}
