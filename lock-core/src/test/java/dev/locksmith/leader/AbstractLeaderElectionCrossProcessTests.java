package dev.locksmith.leader;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Leader election across three candidate JVMs ({@link LeaderCandidateMain}) on a real backend, in one run:
 * exactly one leader; {@code yield()} hands over to another candidate with a higher term; a leader paused
 * with {@code SIGSTOP} past its TTL is replaced, and when it resumes with {@code SIGCONT} it already knows it
 * is not leader, is told {@link RevocationReason#LOST}, and its stale term is rejected by a fenced register;
 * (with advisory locks the paused leader keeps the lock until it resumes, then gives up before acting);
 * {@code kill -9} of the leader is followed by a new leader with a higher term within TTL + {@link #BOUND};
 * stopping releases. After every step exactly one candidate says it is leader.
 */
abstract class AbstractLeaderElectionCrossProcessTests {

	/** Lease TTL of the candidates. */
	static final Duration TTL = Duration.ofSeconds(3);

	/**
	 * How much later than the TTL a dead leader must be replaced: covers waking the waiters (release signal or
	 * expiry hint plus 1 ms), one acquisition round trip, and the scheduling delays of a loaded 2-core machine.
	 */
	static final Duration BOUND = Duration.ofSeconds(3);

	/** The pause after a yield before the yielder contends again. */
	static final Duration YIELD_DELAY = Duration.ofSeconds(2);

	private static final Duration STARTUP = Duration.ofSeconds(90);

	private static final Duration STEP = TTL.plus(BOUND);

	/** Returns the backend arguments of {@link LeaderCandidateMain}: backend and address. */
	protected abstract List<String> backend();

	/**
	 * Returns whether a paused leader keeps its lease until it resumes (PostgreSQL advisory locks: the
	 * session lives on, and the TTL is enforced by the holder). Then nobody else may lead during the pause,
	 * and the resumed leader gives up on its own, before acting; otherwise another candidate takes over
	 * during the pause.
	 */
	protected boolean pausedLeaderKeepsLease() {
		return false;
	}

	@Test
	void oneLeaderAmongThreeJvmsHandedOverOnYieldPauseAndKill(@TempDir Path logs) throws Exception {
		FencedRegister register = new FencedRegister();
		List<CandidateProcess> candidates = new ArrayList<>();
		try {
			for (int i = 0; i < 3; i++) {
				List<String> args = new ArrayList<>(backend());
				args.addAll(List.of("jobs", Long.toString(TTL.toMillis()), Long.toString(YIELD_DELAY.toMillis())));
				candidates.add(CandidateProcess.start(Integer.toString(i), logs, args));
			}
			int[] marks = marks(candidates);

			// 1. exactly one leader (once a leader holds on: on a loaded machine a first lease may be lost)
			awaitGranted(candidates, marks, 0, STARTUP);
			Granted first = awaitSteadyLeader(candidates, marks);
			assertSingleLeader(candidates, first);
			assertThat(register.write(first.term())).isTrue();

			// 2. yield hands over promptly to another candidate
			marks = marks(candidates);
			long start = System.nanoTime();
			first.candidate().send("yield");
			first.candidate().awaitLine(marks[candidates.indexOf(first.candidate())],
					"REVOKED " + first.term() + " RELEASED", STEP);
			Granted second = awaitGranted(without(candidates, first.candidate()), marks, first.term(), YIELD_DELAY);
			long yieldMillis = elapsedMillis(start);
			assertSingleLeader(candidates, second);
			assertThat(register.write(second.term())).isTrue();

			// 3. SIGSTOP past the TTL: replaced; on SIGCONT it knows at once, is told LOST, its term is stale
			marks = marks(candidates);
			start = System.nanoTime();
			second.candidate().signal("STOP");
			Granted third;
			long pausedMillis;
			int resumed = second.candidate().mark();
			if (pausedLeaderKeepsLease()) {
				int[] pausedMarks = marks;
				await().during(TTL.plusSeconds(1)).atMost(TTL.plusSeconds(5))
					.until(() -> findGranted(without(candidates, second.candidate()), pausedMarks) == null);
				second.candidate().signal("CONT");
				second.candidate().send("act");
				third = awaitGranted(candidates, marks, second.term(), STEP);
				pausedMillis = elapsedMillis(start);
			}
			else {
				third = awaitGranted(without(candidates, second.candidate()), marks, second.term(), STEP);
				pausedMillis = elapsedMillis(start);
				second.candidate().signal("CONT");
				second.candidate().send("act");
			}
			Matcher firstAction = second.candidate().awaitLine(resumed, "(ACT \\d+|IDLE)", STEP);
			assertThat(firstAction.group(1)).as("the resumed leader's first action sees it is not leader")
				.isEqualTo("IDLE");
			second.candidate().awaitLine(resumed, "REVOKED " + second.term() + " LOST", STEP);
			assertThat(register.write(third.term())).isTrue();
			assertThat(register.write(second.term())).as("a write fenced with the stale term is rejected").isFalse();
			assertSingleLeader(candidates, third);

			// 4. kill -9 of the leader: a new leader with a higher term within TTL + BOUND
			List<CandidateProcess> survivors = without(candidates, third.candidate());
			marks = marks(candidates);
			start = System.nanoTime();
			third.candidate().process().destroyForcibly();
			Granted fourth = awaitGranted(survivors, marks, third.term(), STEP);
			long killMillis = elapsedMillis(start);
			assertThat(Duration.ofMillis(killMillis)).isLessThan(STEP);
			assertThat(register.write(fourth.term())).isTrue();
			assertSingleLeader(survivors, fourth);

			// 5. stop: the leader releases and is told STOPPED; both exit cleanly
			marks = marks(candidates);
			for (CandidateProcess survivor : survivors) {
				survivor.send("stop");
			}
			fourth.candidate().awaitLine(marks[candidates.indexOf(fourth.candidate())],
					"REVOKED " + fourth.term() + " STOPPED", STEP);
			for (CandidateProcess survivor : survivors) {
				assertThat(survivor.process().waitFor(30, TimeUnit.SECONDS)).as("%s exits", survivor).isTrue();
				assertThat(survivor.process().exitValue()).as(survivor.output()).isZero();
			}
			System.out.printf("%s: yield handover %d ms, SIGSTOP handover %d ms, kill -9 handover %d ms (TTL %d ms)%n",
					getClass().getSimpleName(), yieldMillis, pausedMillis, killMillis, TTL.toMillis());
		}
		catch (AssertionError | RuntimeException ex) {
			for (CandidateProcess candidate : candidates) {
				ex.addSuppressed(new AssertionError(candidate + " output:\n" + candidate.output()));
			}
			throw ex;
		}
		finally {
			for (CandidateProcess candidate : candidates) {
				try {
					candidate.signal("CONT");
				}
				catch (Exception ex) {
					// already gone
				}
				candidate.close();
			}
		}
	}

	private static long elapsedMillis(long startNanos) {
		return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
	}

	private static int[] marks(List<CandidateProcess> candidates) {
		int[] marks = new int[candidates.size()];
		for (int i = 0; i < marks.length; i++) {
			marks[i] = candidates.get(i).mark();
		}
		return marks;
	}

	private static List<CandidateProcess> without(List<CandidateProcess> candidates, CandidateProcess excluded) {
		List<CandidateProcess> rest = new ArrayList<>(candidates);
		rest.remove(excluded);
		return rest;
	}

	/**
	 * Waits until one of {@code among} prints a grant with a term above {@code aboveTerm} after its mark in
	 * {@code marks} (indexed like {@code among}'s candidates by their label).
	 */
	private static Granted awaitGranted(List<CandidateProcess> among, int[] marks, long aboveTerm, Duration timeout) {
		Granted[] found = new Granted[1];
		await().atMost(timeout).pollInterval(Duration.ofMillis(10)).alias("a new leader above term " + aboveTerm)
			.until(() -> {
				found[0] = findGranted(among, marks);
				return found[0] != null;
			});
		assertThat(found[0].term()).as("terms only increase").isGreaterThan(aboveTerm);
		return found[0];
	}

	private static Granted findGranted(List<CandidateProcess> among, int[] marks) {
		for (CandidateProcess candidate : among) {
			Matcher granted = candidate.find(marks[Integer.parseInt(candidate.label())], "GRANTED (\\d+)");
			if (granted != null) {
				return new Granted(candidate, Long.parseLong(granted.group(1)));
			}
		}
		return null;
	}

	/** Waits until the latest grant since {@code marks} was not revoked and its holder says it leads. */
	private static Granted awaitSteadyLeader(List<CandidateProcess> candidates, int[] marks) {
		Granted[] found = new Granted[1];
		await().atMost(STARTUP).pollInterval(Duration.ofMillis(200)).until(() -> {
			Granted latest = null;
			for (CandidateProcess candidate : candidates) {
				int from = marks[Integer.parseInt(candidate.label())];
				Matcher granted;
				while ((granted = candidate.find(from, "GRANTED (\\d+)")) != null) {
					long term = Long.parseLong(granted.group(1));
					if (latest == null || term > latest.term()) {
						latest = new Granted(candidate, term);
					}
					from = indexAfter(candidate, from, "GRANTED " + term);
				}
			}
			if (latest == null || latest.candidate().find(marks[Integer.parseInt(latest.candidate().label())],
					"REVOKED " + latest.term() + " .*") != null) {
				return false;
			}
			int from = latest.candidate().mark();
			latest.candidate().send("state");
			Matcher state = latest.candidate().awaitLine(from, "STATE (true|false) (-?\\d+)", STEP);
			found[0] = latest;
			return state.group(1).equals("true");
		});
		return found[0];
	}

	private static int indexAfter(CandidateProcess candidate, int from, String line) {
		for (int i = from;; i++) {
			if (candidate.lineAt(i, STEP).equals(line)) {
				return i + 1;
			}
		}
	}

	/** Asks every candidate for its state; exactly {@code leader} says it leads, with its term. */
	private static void assertSingleLeader(List<CandidateProcess> candidates, Granted leader) {
		for (CandidateProcess candidate : candidates) {
			int from = candidate.mark();
			candidate.send("state");
			Matcher state = candidate.awaitLine(from, "STATE (true|false) (-?\\d+)", STEP);
			if (candidate == leader.candidate()) {
				assertThat(state.group(1)).as("%s leads", candidate).isEqualTo("true");
				assertThat(Long.parseLong(state.group(2))).isEqualTo(leader.term());
			}
			else {
				assertThat(state.group(1)).as("%s does not lead", candidate).isEqualTo("false");
			}
		}
	}

	/** A grant seen on a candidate's output. */
	record Granted(CandidateProcess candidate, long term) {
	}

	/**
	 * The smallest fenced store: accepts a write only if its term is at least the highest term written so far.
	 */
	static final class FencedRegister {

		private long highest = Long.MIN_VALUE;

		synchronized boolean write(long term) {
			if (term < this.highest) {
				return false;
			}
			this.highest = term;
			return true;
		}

	}

}
