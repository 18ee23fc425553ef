package dev.locksmith.leader;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.leader.LeaderElectionTests.Event;
import dev.locksmith.leader.LeaderElectionTests.Recorder;
import dev.locksmith.spi.LockProvider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Leader election on one provider, in one JVM: three candidates, each with its own provider instance and
 * engine (as three processes would have). Exactly one leads; yield, a force release (the leader is told
 * {@link RevocationReason#LOST}) and stop each hand over to a candidate with a higher term.
 */
abstract class AbstractLeaderElectionProviderTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(20);

	private final List<AutoCloseable> closeables = new ArrayList<>();

	/** Returns a new provider instance on the shared backend. */
	protected abstract LockProvider newProvider();

	@AfterEach
	void closeAll() throws Exception {
		for (int i = this.closeables.size() - 1; i >= 0; i--) {
			this.closeables.get(i).close();
		}
	}

	/**
	 * Whether the provider's fencing tokens strictly increase per key, so that each new leader's term is
	 * above the last. Redlock does not promise it (the token is the highest of the granting masters'
	 * counters, and two quorums may report different masters' counters).
	 * @return true unless the provider's tokens may go backwards
	 */
	protected boolean termsStrictlyIncrease() {
		return true;
	}

	private void assertNewTerm(long term, long previous) {
		if (termsStrictlyIncrease()) {
			assertThat(term).isGreaterThan(previous);
		}
		else {
			assertThat(term).isPositive();
		}
	}

	private LockEngine newEngine() {
		LockProvider provider = newProvider();
		this.closeables.add(provider);
		LockEngine engine = Locksmith.builder(provider).keyPrefix("election-test:").build();
		this.closeables.add(engine);
		return engine;
	}

	@Test
	void oneLeaderHandedOverOnYieldForceReleaseAndStop() throws Exception {
		List<LeaderElection> elections = new ArrayList<>();
		List<Recorder> recorders = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			Recorder recorder = new Recorder();
			recorders.add(recorder);
			LeaderElection election = LeaderElection.builder(newEngine(), getClass().getSimpleName())
				.ttl(Duration.ofSeconds(2))
				.yieldDelay(Duration.ofMinutes(5))
				.listener(recorder)
				.build();
			this.closeables.add(election);
			elections.add(election);
		}
		elections.forEach(LeaderElection::start);

		int first = awaitSingleLeader(elections);
		long firstTerm = recorders.get(first).next().leadership().term();

		elections.get(first).yield();
		assertThat(recorders.get(first).next().reason()).isEqualTo(RevocationReason.RELEASED);
		int second = awaitSingleLeader(elections);
		assertThat(second).isNotEqualTo(first);
		long secondTerm = recorders.get(second).next().leadership().term();
		assertNewTerm(secondTerm, firstTerm);

		assertThat(newEngine().forceRelease(elections.get(second).key())).isTrue();
		Event lost = recorders.get(second).next();
		assertThat(lost.reason()).isEqualTo(RevocationReason.LOST);
		assertThat(lost.leadership().term()).isEqualTo(secondTerm);
		int third = awaitSingleLeader(elections);
		assertThat(third).as("the yielder still waits").isNotEqualTo(first);
		long thirdTerm = recorders.get(third).next().leadership().term();
		assertNewTerm(thirdTerm, secondTerm);

		elections.get(third).stop();
		assertThat(recorders.get(third).next().reason()).isEqualTo(RevocationReason.STOPPED);
		int fourth = awaitSingleLeader(elections);
		assertThat(fourth).isNotIn(first, third);
		assertNewTerm(recorders.get(fourth).next().leadership().term(), thirdTerm);
	}

	private static int awaitSingleLeader(List<LeaderElection> elections) {
		await().atMost(TIMEOUT).until(() -> elections.stream().filter(LeaderElection::isLeader).count() == 1);
		for (int i = 0; i < elections.size(); i++) {
			if (elections.get(i).isLeader()) {
				return i;
			}
		}
		throw new AssertionError("leader gone again");
	}

}
