package dev.locksmith.leader;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.tck.CountingLockProvider;
import dev.locksmith.tck.ForwardingLockProvider;
import dev.locksmith.testsupport.ManualClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * {@link LeaderElection} in one JVM on the in-memory provider: several engines (one per simulated
 * process) on one provider, real threads, and a manual clock where the test needs a lease to run out.
 */
class LeaderElectionTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	private final List<AutoCloseable> closeables = new ArrayList<>();

	@AfterEach
	void closeAll() throws Exception {
		for (int i = this.closeables.size() - 1; i >= 0; i--) {
			this.closeables.get(i).close();
		}
	}

	private LockEngine engine(LockProvider provider) {
		LockEngine engine = Locksmith.builder(provider).build();
		this.closeables.add(engine);
		return engine;
	}

	private LeaderElection election(LockEngine engine, Recorder recorder, Duration yieldDelay) {
		LeaderElection election = LeaderElection.builder(engine, "jobs")
			.ttl(Duration.ofSeconds(30))
			.yieldDelay(yieldDelay)
			.listener(recorder)
			.build();
		this.closeables.add(election);
		return election;
	}

	@Test
	void exactlyOneOfThreeCandidatesLeadsAndYieldHandsOverWithAHigherTerm() throws Exception {
		MemoryLockProvider provider = new MemoryLockProvider();
		List<LeaderElection> elections = new ArrayList<>();
		List<Recorder> recorders = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			Recorder recorder = new Recorder();
			recorders.add(recorder);
			elections.add(election(engine(provider), recorder, Duration.ofMinutes(1)));
		}
		elections.forEach(LeaderElection::start);
		await().atMost(TIMEOUT).until(() -> elections.stream().filter(LeaderElection::isLeader).count() == 1);
		int first = leaderIndex(elections);
		Event granted = recorders.get(first).next();
		assertThat(granted.reason()).isNull();
		assertThat(granted.leadership().term()).isEqualTo(elections.get(first).leadership().orElseThrow().term());
		assertThat(granted.thread()).isEqualTo("locksmith-leader-jobs-events");

		assertThat(elections.get(first).yield()).isTrue();
		Event released = recorders.get(first).next();
		assertThat(released.reason()).isEqualTo(RevocationReason.RELEASED);
		await().atMost(TIMEOUT).until(() -> elections.stream().filter(LeaderElection::isLeader).count() == 1);
		int second = leaderIndex(elections);
		assertThat(second).as("the yielder lets another candidate lead").isNotEqualTo(first);
		Event next = recorders.get(second).next();
		assertThat(next.leadership().term()).isGreaterThan(granted.leadership().term());
		assertThat(elections.get(first).isLeader()).isFalse();
		assertThat(elections.stream().filter(LeaderElection::isLeader).count()).isEqualTo(1);
	}

	@Test
	void aLeaseRunningOutEndsLeadershipAtTheLocalDeadlineBeforeAnyCallback() throws Exception {
		ManualClock clock = new ManualClock();
		MemoryLockProvider provider = new MemoryLockProvider(clock);
		LockEngine engine = Locksmith.builder(provider).clock(clock).build();
		this.closeables.add(engine);
		Recorder recorder = new Recorder();
		LeaderElection election = election(engine, recorder, Duration.ZERO);
		election.start();
		Event granted = recorder.next();
		assertThat(election.isLeader()).isTrue();

		// Paused past the TTL: no renewal ran, no callback yet, but the deadline check already says no.
		clock.advance(Duration.ofSeconds(31));
		assertThat(election.isLeader()).isFalse();
		assertThat(election.leadership()).isEmpty();
		assertThat(recorder.events).isEmpty();
		// The lease expired on the backend only now, at or after the local deadline: someone else may lead.
		LockEngine otherProcess = Locksmith.builder(provider).clock(clock).build();
		this.closeables.add(otherProcess);
		try (LockHandle other = otherProcess.acquire(election.key(), LockOptions.waitTime(Duration.ZERO))) {
			assertThat(other.fencingToken()).isGreaterThan(granted.leadership().term());
		}

		engine.runDueRenewals(); // what the renewal thread does on resume: declares the lease lost
		Event lost = recorder.next();
		assertThat(lost.reason()).isEqualTo(RevocationReason.LOST);
		assertThat(lost.leadership().term()).isEqualTo(granted.leadership().term());
		assertThat(lost.thread()).as("callbacks never run on the renewal (here: test) thread")
			.isEqualTo("locksmith-leader-jobs-events");

		Event again = recorder.next();
		assertThat(again.reason()).isNull();
		assertThat(again.leadership().term()).isGreaterThan(granted.leadership().term());
	}

	@Test
	void aGrantThatArrivesAfterItsTtlIsNeverAnnounced() throws Exception {
		ManualClock clock = new ManualClock();
		SlowFirstGrant provider = new SlowFirstGrant(new MemoryLockProvider(clock), clock);
		LockEngine engine = Locksmith.builder(provider).clock(clock).build();
		this.closeables.add(engine);
		Recorder recorder = new Recorder();
		LeaderElection election = election(engine, recorder, Duration.ZERO);
		election.start();
		Event granted = recorder.next();
		await().atMost(TIMEOUT).until(election::isLeader);
		assertThat(granted.leadership().term()).as("the first announced term is the one that leads")
			.isEqualTo(election.leadership().orElseThrow().term());
		assertThat(provider.acquires).hasValueGreaterThanOrEqualTo(2);
		assertThat(recorder.events).as("the late first grant was never announced, not even as revoked").isEmpty();
	}

	/** The in-memory provider whose first grant reaches the engine 31 s (of a manual clock) after it was sent. */
	static final class SlowFirstGrant extends ForwardingLockProvider {

		private final ManualClock clock;

		final java.util.concurrent.atomic.AtomicInteger acquires = new java.util.concurrent.atomic.AtomicInteger();

		SlowFirstGrant(MemoryLockProvider delegate, ManualClock clock) {
			super(delegate);
			this.clock = clock;
		}

		@Override
		public dev.locksmith.spi.Grant acquire(dev.locksmith.spi.LeaseRequest request) {
			dev.locksmith.spi.Grant grant = this.delegate.acquire(request);
			if (this.acquires.incrementAndGet() == 1) {
				this.clock.advance(Duration.ofSeconds(31));
			}
			return grant;
		}

	}

	@Test
	void stopWhileAcquiringInterruptsTheCandidateWhichNeverLeads() throws Exception {
		MemoryLockProvider provider = new MemoryLockProvider();
		Recorder leaderEvents = new Recorder();
		LeaderElection leader = election(engine(provider), leaderEvents, Duration.ZERO);
		leader.start();
		leaderEvents.next();
		Recorder waiterEvents = new Recorder();
		LeaderElection waiter = election(engine(provider), waiterEvents, Duration.ZERO);
		waiter.start();
		waiter.stop();
		assertThat(waiter.isRunning()).isFalse();
		assertThat(waiterEvents.events).isEmpty();
		assertThat(leader.isLeader()).isTrue();

		leader.stop();
		Event stopped = leaderEvents.next();
		assertThat(stopped.reason()).isEqualTo(RevocationReason.STOPPED);
		assertThat(leader.isLeader()).isFalse();
		assertThat(provider.inspect(leader.key()).isLocked()).as("a stopped leader releases its lease").isFalse();
		assertThat(waiterEvents.events).isEmpty();
	}

	@Test
	void aStoppedElectionCanStartAgainWithANewTerm() throws Exception {
		Recorder recorder = new Recorder();
		LeaderElection election = election(engine(new MemoryLockProvider()), recorder, Duration.ZERO);
		election.start();
		long first = recorder.next().leadership().term();
		election.stop();
		assertThat(recorder.next().reason()).isEqualTo(RevocationReason.STOPPED);
		election.start();
		assertThat(recorder.next().leadership().term()).isGreaterThan(first);
	}

	@Test
	void aThrowingListenerIsLoggedAndLeadershipStaysConsistent() throws Exception {
		Recorder recorder = new Recorder();
		LeaderElection election = LeaderElection.builder(engine(new MemoryLockProvider()), "jobs")
			.listener(new LeaderListener() {
				@Override
				public void granted(Leadership leadership) {
					throw new IllegalStateException("listener bug");
				}

				@Override
				public void revoked(Leadership leadership, RevocationReason reason) {
					throw new IllegalStateException("listener bug");
				}
			})
			.listener(recorder)
			.build();
		this.closeables.add(election);
		election.start();
		Event granted = recorder.next();
		assertThat(election.isLeader()).isTrue();
		assertThat(election.yield()).isTrue();
		Event released = recorder.next();
		assertThat(released.reason()).isEqualTo(RevocationReason.RELEASED);
		assertThat(released.leadership()).isEqualTo(granted.leadership());
	}

	@Test
	void aCandidateBacksOffWhileTheBackendIsDownAndLeadsOnceItIsBack() throws Exception {
		CountingLockProvider provider = new CountingLockProvider(new MemoryLockProvider());
		provider.failWith("backend down");
		Recorder recorder = new Recorder();
		LeaderElection election = election(engine(provider), recorder, Duration.ZERO);
		election.start();
		await().atMost(TIMEOUT).until(() -> provider.acquires.get() >= 3);
		assertThat(election.isLeader()).isFalse();
		assertThat(recorder.events).isEmpty();
		provider.recover();
		recorder.next();
		assertThat(election.isLeader()).isTrue();
	}

	@Test
	void yieldWhenNotLeaderDoesNothing() {
		LeaderElection election = election(engine(new MemoryLockProvider()), new Recorder(), Duration.ZERO);
		assertThat(election.yield()).isFalse();
		assertThat(election.isLeader()).isFalse();
		assertThat(election.key()).isEqualTo("leader:jobs");
	}

	@Test
	void badSettingsAreRejectedAtOnce() {
		LockEngine engine = engine(new MemoryLockProvider());
		assertThatIllegalArgumentException().isThrownBy(() -> LeaderElection.builder(engine, " "))
			.withMessageContaining("name");
		assertThatIllegalArgumentException().isThrownBy(() -> LeaderElection.builder(engine, "x").ttl(Duration.ZERO))
			.withMessageContaining("ttl");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> LeaderElection.builder(engine, "x").yieldDelay(Duration.ofSeconds(-1)))
			.withMessageContaining("yieldDelay");
	}

	private static int leaderIndex(List<LeaderElection> elections) {
		for (int i = 0; i < elections.size(); i++) {
			if (elections.get(i).isLeader()) {
				return i;
			}
		}
		throw new AssertionError("no leader");
	}

	/** A callback: reason null for granted. */
	record Event(Leadership leadership, RevocationReason reason, String thread) {
	}

	/** Records callbacks in order, with the thread they ran on. */
	static final class Recorder implements LeaderListener {

		final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

		@Override
		public void granted(Leadership leadership) {
			this.events.add(new Event(leadership, null, Thread.currentThread().getName()));
		}

		@Override
		public void revoked(Leadership leadership, RevocationReason reason) {
			this.events.add(new Event(leadership, reason, Thread.currentThread().getName()));
		}

		Event next() throws InterruptedException {
			Event event = this.events.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
			assertThat(event).as("a callback within %s", TIMEOUT).isNotNull();
			return event;
		}

	}

}
