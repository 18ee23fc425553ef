package dev.locksmith.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a history (client, store and nemesis events merged) for what the fault suite guarantees:
 * accepted stale writes, overlapping holds, missing loss reports, slow recovery and leaked leases.
 *
 * <p><b>Holds.</b> A hold is one granted lease. Its <em>believed interval</em> runs from the moment
 * {@code acquire} returned to the last moment its holder saw {@code isValid()} true (the time is read
 * before the call, so the interval never overstates). Since validity never comes back once gone, the
 * holder believed it held the lock during the whole interval.
 *
 * <p><b>Overlaps.</b> Two holds on one key whose modes conflict (a mutex or write lease against anything)
 * overlap when their believed intervals intersect (<em>believed overlap</em>: a broken lease, never
 * allowed) or when a write that its holder checked valid reached the store inside the other's believed
 * interval (the paused-holder case, which fencing is for). Read-lock holders make fenced reads, so a
 * reader counts as a writer to the store. An overlap is <em>caught</em> when the later holder's token is
 * higher than the earlier one's and the store accepted no stale write between them.
 * Semaphore holds overlap when more believed intervals than permits intersect.
 *
 * <p><b>Stale write accepted.</b> The store accepted a write of holder A after it had accepted one of a
 * holder B that started acquiring after A's acquire returned (so B was granted after A).
 *
 * <p><b>Loss reports.</b> A hold whose lease another conflicting holder was granted while it was not yet
 * released must report the loss ({@code onLost}, {@code LockLostException}, a {@code LOST} release
 * outcome, or a release that throws because the backend cannot be reached: the holder then knows its
 * lease is in doubt). Missing reports are counted (holds of killed clients excepted); a report is late when the
 * holder still saw {@code isValid()} true after the other grant.
 *
 * <p><b>Liveness.</b> After each fault heals, every key tried again is held (a holder sees it valid, be it
 * acquired before or after the healing) within TTL + the stated bound. Waits that timed out while the key stood free (outside faults) for at least the free-gap bound
 * are counted.
 */
final class Checker {

	private final Settings settings;

	/**
	 * Creates a checker.
	 * @param settings the lease TTL and bounds of the run
	 */
	Checker(Settings settings) {
		this.settings = settings;
	}

	/**
	 * The bounds a run is checked against.
	 * @param ttl the lease TTL the clients use
	 * @param recoveryBound how long after TTL a key may take to be acquired again after a fault heals
	 * @param freeGap how long a key must stand free inside a timed-out wait for it to count
	 */
	record Settings(Duration ttl, Duration recoveryBound, Duration freeGap) {
	}

	/**
	 * What the checker found.
	 * @param holds granted leases
	 * @param writes writes the store received
	 * @param faults faults injected
	 * @param staleAccepted stale writes the store accepted
	 * @param overlapsCaught overlapping holds the store caught
	 * @param overlapsNotCaught overlapping holds it did not catch
	 * @param believedOverlaps overlaps where both holders saw isValid() true at one instant (part of the two above)
	 * @param missingLoss holds that lost their lease and never reported it
	 * @param lateLoss holds that saw isValid() true after another holder was granted
	 * @param maxLossReportMillis the longest time from another holder's grant to the report, ms
	 * @param maxRecoveryMillis the longest time from a healed fault to the next grant of a tried key, ms
	 * @param slowRecoveries keys acquired again later than TTL + bound after a fault healed
	 * @param timedOutWhileFree waits that timed out while the key stood free
	 * @param leaks leases left on the backend at the end that no client held
	 * @param anomalies one line per anomaly
	 */
	record Report(int holds, int writes, int faults, int staleAccepted, int overlapsCaught, int overlapsNotCaught,
			int believedOverlaps, int missingLoss, int lateLoss, long maxLossReportMillis, long maxRecoveryMillis,
			int slowRecoveries, int timedOutWhileFree, int leaks, List<String> anomalies) {

		/**
		 * Returns whether the run broke a guarantee: a believed or uncaught overlap, a stale write accepted
		 * (when the backend promises monotonic tokens), a missing loss report or a leak. Liveness (slow
		 * recoveries, waits timed out while the key stood free) is counted but does not fail a run: on a
		 * shared 2-core machine CPU starvation alone can stretch it.
		 * @param monotonicTokens whether the backend promises strictly increasing tokens
		 * @return {@code true} if the run failed
		 */
		boolean failed(boolean monotonicTokens) {
			return failed(monotonicTokens, false);
		}

		/**
		 * Returns whether the run broke a guarantee, where a fault may have wiped leases from the backend
		 * (a restart without persistence, a terminated advisory-lock session): then a holder keeps
		 * believing until its next renewal, so believed overlaps are expected, but must still be caught.
		 * @param monotonicTokens whether the backend promises strictly increasing tokens
		 * @param leasesMayVanish whether the run's faults can wipe leases from the backend
		 * @return {@code true} if the run failed
		 */
		boolean failed(boolean monotonicTokens, boolean leasesMayVanish) {
			return (monotonicTokens && this.staleAccepted > 0) || this.overlapsNotCaught > 0
					|| (!leasesMayVanish && this.believedOverlaps > 0) || this.missingLoss > 0 || this.leaks > 0;
		}

	}

	static final class Hold {

		final String process;

		final String key;

		final String mode;

		final String lease;

		final long token;

		final long acquireInvoked;

		final long acquired;

		long releaseInvoked = Long.MAX_VALUE;

		long released = Long.MAX_VALUE;

		String releaseOutcome = "-";

		long lostReported = Long.MAX_VALUE;

		long lastValid = Long.MIN_VALUE;

		long lastEvent;

		final List<Write> writes = new ArrayList<>();

		Hold(String process, String key, String mode, String lease, long token, long acquireInvoked, long acquired) {
			this.process = process;
			this.key = key;
			this.mode = mode;
			this.lease = lease;
			this.token = token;
			this.acquireInvoked = acquireInvoked;
			this.acquired = acquired;
			this.lastEvent = acquired;
		}

		boolean exclusive() {
			return this.mode.equals("excl");
		}

		boolean permits() {
			return this.mode.startsWith("permit");
		}

		int limit() {
			return Integer.parseInt(this.mode.substring("permit".length()));
		}

		boolean conflicts(Hold other) {
			return !permits() && !other.permits() && (exclusive() || other.exclusive());
		}

		boolean finished() {
			return this.releaseInvoked != Long.MAX_VALUE;
		}

		/** The last moment this hold may still have occupied the key on the backend. */
		long occupiedUntil(long ttlNanos) {
			if (this.released != Long.MAX_VALUE) {
				return this.released;
			}
			return Math.min(this.lastEvent, this.lostReported) + ttlNanos;
		}

		@Override
		public String toString() {
			return this.process + "/" + this.lease + "(key=" + this.key + ", mode=" + this.mode + ", token=" + this.token
					+ ")";
		}

	}

	static final class Write {

		final Hold hold;

		final long checked;

		final boolean valid;

		long stored = -1;

		boolean accepted;

		Write(Hold hold, long checked, boolean valid) {
			this.hold = hold;
			this.checked = checked;
			this.valid = valid;
		}

	}

	/**
	 * Checks a history.
	 * @param history the merged events, in any order
	 * @return the report
	 */
	Report check(List<Event> history) {
		List<Event> events = new ArrayList<>(history);
		events.sort(Comparator.comparingLong(Event::time));
		long ttl = this.settings.ttl().toNanos();
		Map<String, Hold> holds = new LinkedHashMap<>();
		Map<String, Event> pendingAcquire = new HashMap<>();
		Map<Long, Write> writesById = new HashMap<>();
		List<Event> storeRecords = new ArrayList<>();
		List<long[]> faultWindows = new ArrayList<>();
		Map<String, Long> faultStarts = new HashMap<>();
		List<Event> acquireFailures = new ArrayList<>();
		List<String> anomalies = new ArrayList<>();
		Set<String> killed = new LinkedHashSet<>();
		int faults = 0;
		int leaks = 0;
		long end = events.isEmpty() ? 0 : events.get(events.size() - 1).time();
		for (Event event : events) {
			String thread = event.process() + "/" + event.thread();
			Hold hold = holds.get(event.lease());
			if (hold != null) {
				hold.lastEvent = Math.max(hold.lastEvent, event.time());
			}
			switch (event.op()) {
				case "acquire" -> {
					if (event.type() == Event.Type.INVOKE) {
						pendingAcquire.put(thread, event);
					}
					else if (event.type() == Event.Type.OK) {
						Event invoke = pendingAcquire.remove(thread);
						long invoked = (invoke != null) ? invoke.time() : event.time();
						String mode = (invoke != null) ? invoke.value() : event.value();
						holds.put(event.lease(), new Hold(event.process(), event.key(), mode, event.lease(),
								event.token(), invoked, event.time()));
					}
					else if (event.type() == Event.Type.FAIL) {
						Event invoke = pendingAcquire.remove(thread);
						if (invoke != null && event.value().equals("timeout")) {
							acquireFailures.add(invoke);
							acquireFailures.add(event);
						}
					}
				}
				case "check" -> {
					if (hold != null && event.value().equals("valid")) {
						hold.lastValid = Math.max(hold.lastValid, event.time());
					}
				}
				case "write" -> {
					if (hold != null && event.type() == Event.Type.INVOKE) {
						boolean valid = event.value().equals("valid");
						Write write = new Write(hold, event.time(), valid);
						hold.writes.add(write);
						writesById.put(event.id(), write);
						if (valid) {
							hold.lastValid = Math.max(hold.lastValid, event.time());
						}
					}
				}
				case "store" -> storeRecords.add(event);
				case "release" -> {
					if (hold != null && event.type() == Event.Type.INVOKE) {
						hold.releaseInvoked = Math.min(hold.releaseInvoked, event.time());
					}
					else if (hold != null && event.type() == Event.Type.OK) {
						hold.released = event.time();
						hold.releaseOutcome = event.value();
						if (event.value().equals("LOST")) {
							hold.lostReported = Math.min(hold.lostReported, event.time());
						}
					}
					else if (hold != null && event.type() == Event.Type.FAIL) {
						// the release threw (backend unreachable): the holder learns its lease is in doubt
						hold.releaseOutcome = "failed:" + event.value();
						hold.lostReported = Math.min(hold.lostReported, event.time());
					}
				}
				case "lost" -> {
					if (hold != null) {
						hold.lostReported = Math.min(hold.lostReported, event.time());
					}
				}
				case "fault-start" -> {
					faults++;
					faultStarts.put(event.value() + "@" + event.key(), event.time());
				}
				case "fault-end" -> {
					Long started = faultStarts.remove(event.value() + "@" + event.key());
					if (!event.value().equals("clock")) {
						// a drifting clock lasts the whole run: it has no moment of healing
						faultWindows.add(new long[] { (started != null) ? started : event.time(), event.time() });
					}
				}
				case "kill" -> killed.add(event.key());
				case "leak" -> {
					leaks++;
					anomalies.add("leak: lease " + event.lease() + " on key " + event.key() + " left on the backend ("
							+ event.value() + ")");
				}
				default -> {
				}
			}
		}
		for (Map.Entry<String, Long> open : faultStarts.entrySet()) {
			faultWindows.add(new long[] { open.getValue(), end });
		}
		for (Event record : storeRecords) {
			Write write = writesById.get(record.id());
			if (write != null) {
				write.stored = record.time();
				write.accepted = record.value().equals("accepted");
			}
		}

		Map<String, List<Hold>> byKey = new LinkedHashMap<>();
		holds.values().forEach((hold) -> byKey.computeIfAbsent(hold.key, (k) -> new ArrayList<>()).add(hold));

		// (1) stale writes accepted
		int stale = 0;
		Set<String> stalePairs = new LinkedHashSet<>();
		Map<String, List<Hold>> acceptedSoFar = new HashMap<>();
		storeRecords.sort(Comparator.comparingLong(Event::time));
		for (Event record : storeRecords) {
			Hold writer = holds.get(record.lease());
			if (writer == null || !record.value().equals("accepted")) {
				continue;
			}
			List<Hold> earlier = acceptedSoFar.computeIfAbsent(record.key(), (k) -> new ArrayList<>());
			for (Hold other : earlier) {
				if (other != writer && other.conflicts(writer) && other.acquireInvoked > writer.acquired) {
					stale++;
					stalePairs.add(pairKey(writer, other));
					anomalies.add("stale write accepted: " + writer + " wrote at " + millis(record.time(), events)
							+ " ms after the store accepted a write of " + other + ", granted later");
					break;
				}
			}
			if (!earlier.contains(writer)) {
				earlier.add(writer);
			}
		}

		// (2) overlapping holds
		int caught = 0;
		int notCaught = 0;
		int believed = 0;
		for (List<Hold> keyHolds : byKey.values()) {
			keyHolds.sort(Comparator.comparingLong((Hold h) -> h.acquired));
			for (int i = 0; i < keyHolds.size(); i++) {
				Hold first = keyHolds.get(i);
				for (int j = i + 1; j < keyHolds.size(); j++) {
					Hold second = keyHolds.get(j);
					if (second.acquired > first.occupiedUntil(ttl) + ttl) {
						break;
					}
					if (!first.conflicts(second)) {
						continue;
					}
					boolean bothBelieved = intersects(first, second);
					boolean landed = landsInside(first, second) || landsInside(second, first);
					if (!bothBelieved && !landed) {
						continue;
					}
					boolean fenced = second.token > first.token && !stalePairs.contains(pairKey(first, second));
					if (fenced) {
						caught++;
					}
					else {
						notCaught++;
					}
					if (bothBelieved) {
						believed++;
					}
					anomalies.add("overlap (" + (fenced ? "caught" : "NOT caught") + ", "
							+ (bothBelieved ? "both saw isValid() true at one instant" : "a checked write landed in the other's hold")
							+ "): " + first + " valid " + millis(first.acquired, events) + ".." + millis(first.lastValid, events)
							+ " ms and " + second + " valid " + millis(second.acquired, events) + ".."
							+ millis(second.lastValid, events) + " ms");
				}
			}
			int permitOverlaps = permitOverlaps(keyHolds);
			if (permitOverlaps > 0) {
				notCaught += permitOverlaps;
				believed += permitOverlaps;
				anomalies.add("semaphore " + keyHolds.get(0).key + ": " + permitOverlaps
						+ " grants beyond its permits while the holders saw isValid() true");
			}
		}

		// (3) loss reports
		int missing = 0;
		int late = 0;
		long maxReport = 0;
		for (List<Hold> keyHolds : byKey.values()) {
			for (Hold hold : keyHolds) {
				long holdEnd = hold.finished() ? hold.releaseInvoked : hold.lastEvent;
				long lossPoint = Long.MAX_VALUE;
				Hold taker = null;
				for (Hold other : keyHolds) {
					if (other != hold && hold.conflicts(other) && other.acquired > hold.acquired
							&& other.acquired < holdEnd && other.acquired < lossPoint) {
						lossPoint = other.acquired;
						taker = other;
					}
				}
				if (taker == null) {
					continue;
				}
				if (hold.lostReported == Long.MAX_VALUE) {
					if (hold.finished() || !killed.contains(hold.process)) {
						missing++;
						anomalies.add("missing loss report: " + hold + " (release outcome " + hold.releaseOutcome
								+ ") while " + taker + " was granted at " + millis(lossPoint, events) + " ms");
					}
					continue;
				}
				maxReport = Math.max(maxReport, hold.lostReported - lossPoint);
				if (hold.lastValid > lossPoint) {
					late++;
					anomalies.add("late loss report: " + hold + " saw isValid() true at " + millis(hold.lastValid, events)
							+ " ms, after " + taker + " was granted at " + millis(lossPoint, events) + " ms");
				}
			}
		}

		// (4) liveness
		long maxRecovery = 0;
		int slow = 0;
		long bound = ttl + this.settings.recoveryBound().toNanos();
		for (long[] window : faultWindows) {
			long healed = window[1];
			for (Map.Entry<String, List<Hold>> entry : byKey.entrySet()) {
				// the key is usable again at the first instant after healing that a holder saw it valid
				boolean tried = false;
				long next = Long.MAX_VALUE;
				for (Hold hold : entry.getValue()) {
					if (hold.acquireInvoked >= healed) {
						tried = true;
					}
					if (hold.lastValid >= healed) {
						next = Math.min(next, Math.max(hold.acquired, healed));
					}
				}
				if (!tried && next == Long.MAX_VALUE) {
					continue;
				}
				long recovery = ((next == Long.MAX_VALUE) ? end : next) - healed;
				maxRecovery = Math.max(maxRecovery, recovery);
				if (recovery > bound) {
					slow++;
					anomalies.add("slow recovery: key " + entry.getKey() + " acquired again "
							+ Duration.ofNanos(recovery).toMillis() + " ms after a fault healed at " + millis(healed, events)
							+ " ms (bound " + Duration.ofNanos(bound).toMillis() + " ms)");
				}
			}
		}
		int timedOutWhileFree = 0;
		long freeGap = this.settings.freeGap().toNanos();
		for (int i = 0; i + 1 < acquireFailures.size(); i += 2) {
			Event invoke = acquireFailures.get(i);
			Event failure = acquireFailures.get(i + 1);
			List<long[]> busy = new ArrayList<>();
			for (Hold hold : byKey.getOrDefault(invoke.key(), List.of())) {
				if (!hold.permits()) {
					busy.add(new long[] { hold.acquireInvoked, hold.occupiedUntil(ttl) });
				}
			}
			for (long[] window : faultWindows) {
				busy.add(new long[] { window[0], window[1] + ttl });
			}
			if (!invoke.value().startsWith("permit")
					&& longestFreeStretch(invoke.time(), failure.time(), busy) >= freeGap) {
				timedOutWhileFree++;
				anomalies.add("wait timed out while the key stood free: " + invoke.process() + " on " + invoke.key()
						+ " " + millis(invoke.time(), events) + ".." + millis(failure.time(), events) + " ms");
			}
		}
		return new Report(holds.size(), storeRecords.size(), faults, stale, caught, notCaught, believed, missing, late,
				Duration.ofNanos(maxReport).toMillis(), Duration.ofNanos(maxRecovery).toMillis(), slow,
				timedOutWhileFree, leaks, anomalies);
	}

	private static boolean intersects(Hold a, Hold b) {
		if (a.lastValid == Long.MIN_VALUE || b.lastValid == Long.MIN_VALUE) {
			return false;
		}
		return a.acquired <= b.lastValid && b.acquired <= a.lastValid;
	}

	/** Whether a write that {@code writer} checked valid reached the store inside {@code holder}'s interval. */
	private static boolean landsInside(Hold writer, Hold holder) {
		for (Write write : writer.writes) {
			if (write.valid && write.stored >= 0 && holder.lastValid != Long.MIN_VALUE && write.stored >= holder.acquired
					&& write.stored <= holder.lastValid) {
				return true;
			}
		}
		return false;
	}

	private static int permitOverlaps(List<Hold> keyHolds) {
		List<Hold> permitHolds = keyHolds.stream().filter((h) -> h.permits() && h.lastValid != Long.MIN_VALUE).toList();
		if (permitHolds.isEmpty()) {
			return 0;
		}
		int limit = permitHolds.get(0).limit();
		int overlaps = 0;
		for (Hold hold : permitHolds) {
			int concurrent = 0;
			for (Hold other : permitHolds) {
				if (other.acquired <= hold.acquired && other.lastValid >= hold.acquired) {
					concurrent++;
				}
			}
			if (concurrent > limit) {
				overlaps++;
			}
		}
		return overlaps;
	}

	private static long longestFreeStretch(long from, long to, List<long[]> busy) {
		List<long[]> sorted = new ArrayList<>(busy);
		sorted.sort(Comparator.comparingLong((long[] w) -> w[0]));
		long cursor = from;
		long longest = 0;
		for (long[] window : sorted) {
			if (window[1] < cursor) {
				continue;
			}
			if (window[0] > to) {
				break;
			}
			longest = Math.max(longest, Math.min(window[0], to) - cursor);
			cursor = Math.max(cursor, window[1]);
			if (cursor >= to) {
				return longest;
			}
		}
		return Math.max(longest, to - cursor);
	}

	private static String pairKey(Hold a, Hold b) {
		return (a.lease.compareTo(b.lease) < 0) ? a.lease + "|" + b.lease : b.lease + "|" + a.lease;
	}

	private static long millis(long time, List<Event> events) {
		if (time == Long.MIN_VALUE || time == Long.MAX_VALUE) {
			return -1;
		}
		long start = events.isEmpty() ? 0 : events.get(0).time();
		return Duration.ofNanos(time - start).toMillis();
	}

}
