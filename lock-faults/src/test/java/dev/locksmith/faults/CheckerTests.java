package dev.locksmith.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checker on synthetic histories: it passes a clean one and flags each kind of anomaly, so it can
 * fail on a real run.
 */
class CheckerTests {

	private static final long MS = 1_000_000L;

	private final Checker checker = new Checker(
			new Checker.Settings(Duration.ofMillis(1000), Duration.ofMillis(2000), Duration.ofMillis(500)));

	private final List<Event> history = new ArrayList<>();

	private long writeIds;

	@Test
	void cleanHistoryPasses() {
		hold("c1", "m0", "L1", 1, 0, 100, 300);
		hold("c2", "m0", "L2", 2, 290, 310, 500);
		hold("c3", "m0", "L3", 3, 400, 510, 700);
		Checker.Report report = check();
		assertThat(report.holds()).isEqualTo(3);
		assertThat(report.writes()).isEqualTo(3);
		assertThat(report.failed(true)).as(report.anomalies().toString()).isFalse();
		assertThat(report.anomalies()).isEmpty();
	}

	@Test
	void flagsHoldsWhoseHoldersBothSawValidAtOnce() {
		hold("c1", "m0", "L1", 1, 0, 100, 400);
		hold("c2", "m0", "L2", 2, 150, 200, 500);
		Checker.Report report = check();
		assertThat(report.believedOverlaps()).isEqualTo(1);
		assertThat(report.overlapsCaught()).isEqualTo(1);
		assertThat(report.failed(true)).isTrue();
		assertThat(report.missingLoss()).isEqualTo(1);
		// after a restart that wiped the lease, a believing holder is expected (the store caught it), but
		// it must still report the loss
		event(350, "c1", Event.Type.INFO, "lost", "m0", "L1", 1, "callback", 0);
		assertThat(check().failed(true, true)).isFalse();
	}

	@Test
	void aDriftingClockHasNoHealingToRecoverFrom() {
		event(0, "nemesis", Event.Type.INFO, "fault-start", "c1", "-", 0, "clock", 0);
		event(0, "nemesis", Event.Type.INFO, "fault-end", "c1", "-", 0, "clock", 0);
		hold("c1", "m0", "L1", 1, 9000, 9100, 9200);
		Checker.Report report = check();
		assertThat(report.faults()).isEqualTo(1);
		assertThat(report.slowRecoveries()).isZero();
	}

	@Test
	void countsAPausedHoldersRejectedWriteAsACaughtOverlapNotAFailure() {
		// c1 checks valid at 150, is paused past its TTL, and its write reaches the store at 1600,
		// inside c2's hold (token 2): the store rejects it. c1 reports the loss when it wakes.
		acquire("c1", "m0", "L1", 1, 0, 100);
		long id = writeInvoke("c1", "m0", "L1", 1, 150, true);
		acquire("c2", "m0", "L2", 2, 1200, 1300);
		write("c2", "m0", "L2", 2, 1400, true, true);
		store("m0", "L1", 1, 1600, false, id);
		event(1601, "c1", Event.Type.OK, "write", "m0", "L1", 1, "rejected", id);
		event(1610, "c1", Event.Type.INFO, "lost", "m0", "L1", 1, "callback", 0);
		release("c1", "m0", "L1", 1620, "LOST");
		check("c2", "m0", "L2", 1700, true);
		release("c2", "m0", "L2", 1800, "RELEASED");
		Checker.Report report = check();
		assertThat(report.overlapsCaught()).isEqualTo(1);
		assertThat(report.overlapsNotCaught()).isZero();
		assertThat(report.believedOverlaps()).isZero();
		assertThat(report.missingLoss()).isZero();
		assertThat(report.failed(true)).as(report.anomalies().toString()).isFalse();
	}

	@Test
	void flagsAStaleWriteTheStoreAcceptedBecauseTokensRepeated() {
		// A backend that lost its counter hands c2 the token c1 holds: c1's write after c2's is accepted.
		acquire("c1", "m0", "L1", 5, 0, 100);
		long first = writeInvoke("c1", "m0", "L1", 5, 150, true);
		store("m0", "L1", 5, 160, true, first);
		acquire("c2", "m0", "L2", 5, 1200, 1300);
		write("c2", "m0", "L2", 5, 1400, true, true);
		long late = writeInvoke("c1", "m0", "L1", 5, 170, true);
		store("m0", "L1", 5, 1500, true, late);
		event(1510, "c1", Event.Type.INFO, "lost", "m0", "L1", 5, "callback", 0);
		release("c1", "m0", "L1", 1520, "LOST");
		check("c2", "m0", "L2", 1600, true);
		release("c2", "m0", "L2", 1700, "RELEASED");
		Checker.Report report = check();
		assertThat(report.staleAccepted()).isEqualTo(1);
		assertThat(report.overlapsNotCaught()).isEqualTo(1);
		assertThat(report.failed(true)).isTrue();
	}

	@Test
	void flagsAHolderThatNeverReportedItsLoss() {
		acquire("c1", "m0", "L1", 1, 0, 100);
		write("c1", "m0", "L1", 1, 150, true, true);
		acquire("c2", "m0", "L2", 2, 1200, 1300);
		write("c2", "m0", "L2", 2, 1400, true, true);
		check("c1", "m0", "L1", 1450, false);
		release("c1", "m0", "L1", 1500, "RELEASED");
		release("c2", "m0", "L2", 1600, "RELEASED");
		Checker.Report report = check();
		assertThat(report.missingLoss()).isEqualTo(1);
		assertThat(report.failed(true)).isTrue();
	}

	@Test
	void countsAReleaseThatFailedAsAReportButAReleasedOneAsMissing() {
		// a restart wiped c1's lease; its release raced the reconnection and threw
		acquire("c1", "m0", "L1", 1, 0, 100);
		write("c1", "m0", "L1", 1, 150, true, true);
		acquire("c2", "m0", "L2", 2, 1200, 1300);
		event(1350, "c1", Event.Type.INVOKE, "release", "m0", "L1", 1, "-", 0);
		event(1351, "c1", Event.Type.FAIL, "release", "m0", "L1", 1, "LockProviderUnavailableException", 0);
		release("c2", "m0", "L2", 1600, "RELEASED");
		assertThat(check().missingLoss()).isZero();
		this.history.removeIf((e) -> e.type() == Event.Type.FAIL);
		event(1351, "c1", Event.Type.OK, "release", "m0", "L1", 1, "RELEASED", 0);
		assertThat(check().missingLoss()).isEqualTo(1);
	}

	@Test
	void excusesAKilledHolderAndCountsASlowRecovery() {
		acquire("c1", "m0", "L1", 1, 0, 100);
		write("c1", "m0", "L1", 1, 150, true, true);
		event(200, "nemesis", Event.Type.INFO, "fault-start", "c1", "-", 0, "kill", 0);
		event(200, "nemesis", Event.Type.INFO, "kill", "c1", "-", 0, "kill", 0);
		event(200, "nemesis", Event.Type.INFO, "fault-end", "c1", "-", 0, "kill", 0);
		hold("c2", "m0", "L2", 2, 300, 4000, 4100);
		Checker.Report report = check();
		assertThat(report.missingLoss()).isZero();
		assertThat(report.faults()).isEqualTo(1);
		assertThat(report.maxRecoveryMillis()).isEqualTo(3800);
		assertThat(report.slowRecoveries()).isEqualTo(1);
		assertThat(report.anomalies()).singleElement().asString().startsWith("slow recovery");
		assertThat(report.failed(true)).isFalse();
	}

	@Test
	void flagsAWaitThatTimedOutWhileTheKeyWasFree() {
		hold("c1", "m0", "L1", 1, 0, 100, 200);
		event(300, "c2", Event.Type.INVOKE, "acquire", "m0", "-", 0, "excl", 0);
		event(2300, "c2", Event.Type.FAIL, "acquire", "m0", "-", 0, "timeout", 0);
		Checker.Report report = check();
		assertThat(report.timedOutWhileFree()).isEqualTo(1);
	}

	@Test
	void flagsSemaphoreGrantsBeyondItsPermits() {
		for (int i = 1; i <= 3; i++) {
			event(i * 10, "c" + i, Event.Type.INVOKE, "acquire", "s0", "-", 0, "permit2", 0);
			event(i * 10 + 5, "c" + i, Event.Type.OK, "acquire", "s0", "P" + i, i, "-", 0);
			check("c" + i, "s0", "P" + i, 100, true);
			release("c" + i, "s0", "P" + i, 200, "RELEASED");
		}
		Checker.Report report = check();
		assertThat(report.overlapsNotCaught()).isEqualTo(1);
		assertThat(report.failed(true)).isTrue();
	}

	@Test
	void flagsALeakAndRoundTripsEveryLine() {
		hold("c1", "m0", "L1", 1, 0, 100, 200);
		event(300, "nemesis", Event.Type.INFO, "leak", "m0", "L9", 9, "owner c4", 0);
		List<Event> parsed = this.history.stream().map(Event::toLine).map(Event::parse).toList();
		assertThat(parsed).isEqualTo(this.history.stream()
			.map((e) -> new Event(e.time(), e.process(), e.thread(), e.type(), e.op(), e.key(), e.lease(), e.token(),
					e.value(), e.id()))
			.toList());
		Checker.Report report = this.checker.check(parsed);
		assertThat(report.leaks()).isEqualTo(1);
		assertThat(report.failed(true)).isTrue();
	}

	private Checker.Report check() {
		return this.checker.check(this.history);
	}

	/** A complete hold: acquire invoked/returned, one accepted write, release at {@code releaseAt}. */
	private void hold(String process, String key, String lease, long token, long invokeAt, long okAt, long releaseAt) {
		acquire(process, key, lease, token, invokeAt, okAt);
		write(process, key, lease, token, okAt + 10, true, true);
		check(process, key, lease, releaseAt - 5, true);
		release(process, key, lease, releaseAt, "RELEASED");
	}

	private void acquire(String process, String key, String lease, long token, long invokeAt, long okAt) {
		event(invokeAt, process, Event.Type.INVOKE, "acquire", key, "-", 0, "excl", 0);
		event(okAt, process, Event.Type.OK, "acquire", key, lease, token, "-", 0);
	}

	private long writeInvoke(String process, String key, String lease, long token, long at, boolean valid) {
		long id = ++this.writeIds;
		event(at, process, Event.Type.INVOKE, "write", key, lease, token, valid ? "valid" : "invalid", id);
		return id;
	}

	private void write(String process, String key, String lease, long token, long at, boolean valid, boolean accepted) {
		long id = writeInvoke(process, key, lease, token, at, valid);
		store(key, lease, token, at + 1, accepted, id);
		event(at + 2, process, Event.Type.OK, "write", key, lease, token, accepted ? "accepted" : "rejected", id);
	}

	private void store(String key, String lease, long token, long at, boolean accepted, long id) {
		event(at, "store", Event.Type.INFO, "store", key, lease, token, accepted ? "accepted" : "rejected", id);
	}

	private void check(String process, String key, String lease, long at, boolean valid) {
		event(at, process, Event.Type.INFO, "check", key, lease, 0, valid ? "valid" : "invalid", 0);
	}

	private void release(String process, String key, String lease, long at, String outcome) {
		event(at, process, Event.Type.INVOKE, "release", key, lease, 0, "-", 0);
		event(at + 1, process, Event.Type.OK, "release", key, lease, 0, outcome, 0);
	}

	private void event(long atMillis, String process, Event.Type type, String op, String key, String lease, long token,
			String value, long id) {
		this.history.add(new Event(atMillis * MS, process, 1, type, op, key, lease, token, value, id));
	}

}
