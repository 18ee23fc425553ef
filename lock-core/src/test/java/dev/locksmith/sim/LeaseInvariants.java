package dev.locksmith.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.locksmith.LeaseType;
import dev.locksmith.LockEvent;
import dev.locksmith.LockHandle;
import dev.locksmith.LockStatistics;
import dev.locksmith.ReleaseOutcome;

/**
 * The invariants every step of a run must keep, checked against the backend's true state (read straight
 * from {@link SimBackend}, no latency, no faults). Each failure names the invariant, the key, the handle
 * and the times (master time, in ms), so that it can be acted on.
 *
 * <ol>
 * <li>While a handle reports {@code isValid()}, the backend holds its lease, and its local deadline (mapped
 * to master time through the client's drift) does not exceed the backend's expiry; no two valid handles on
 * one key when one is a write. Handles granted before a backend restart are exempt (the restart lost their
 * leases: the engine cannot know; fencing tokens protect the resource).</li>
 * <li>Fencing tokens strictly increase per key in the order the backend granted them (across restarts),
 * and a handle's token is the one the backend issued for its lease.</li>
 * <li>Every live auto-extended handle whose client has had no failed call since it was acquired (and no
 * restart, and scheduler runs at least once per renewal interval) stays valid and its lease stays on the backend: it is scheduled for renewal.</li>
 * <li>{@code onLost} runs at most once, never for a handle released as RELEASED, always for one released as
 * LOST, never while the backend still holds the lease before the local deadline, and at the latest one
 * renewal interval after the backend lost an auto-extended lease (while the backend answers the client), or at the
 * local deadline: by the first scheduler run after that time.</li>
 * <li>After a call returns, every lease on the backend belongs to a live handle or a detached lease, or its
 * client could not clean it up (its last call failed, or the handle was declared lost, or its release
 * failed), and then nobody extends it: it expires within its TTL.</li>
 * <li>A waiter gets a key within {@link #waitBound} after the key became free, and does not give up while
 * it is free ({@link #checkWaiter}).</li>
 * <li>Statistics and listener events match what the caller saw: acquisitions, releases, losses, active
 * handles, {@code heldLocks()}.</li>
 * </ol>
 */
public final class LeaseInvariants {

	/** One broken invariant. */
	public record Violation(int invariant, String message) {

		@Override
		public String toString() {
			return "invariant " + this.invariant + " broken: " + this.message;
		}

	}

	/**
	 * Invariants not reported, from {@code -Dlocksmith.sim.ignore=5,7}: only for exploring an engine with a
	 * known defect, to find the next one. Never set in CI.
	 */
	static final java.util.Set<String> IGNORED = java.util.Set.of(System.getProperty("locksmith.sim.ignore", "").split(","));

	private final WorldView world;

	private int grantsChecked;

	private final Map<String, Long> lastTokenByKey = new HashMap<>();

	/** Orphan leases seen, with their expiry when first seen (must not grow). */
	private final Map<String, Long> orphanExpiry = new HashMap<>();

	/** How many steps were checked. */
	private long steps;

	/**
	 * Creates a checker over {@code world}.
	 * @param world the world
	 */
	public LeaseInvariants(WorldView world) {
		this.world = world;
	}

	/**
	 * Returns how many steps were checked.
	 * @return the count
	 */
	public long steps() {
		return this.steps;
	}

	/**
	 * Checks every invariant after one step.
	 * @param step what the step was, for the message
	 * @return the first violation, or null
	 */
	public synchronized Violation check(String step) {
		this.steps++;
		long now = this.world.masterNow();
		Map<String, List<BackendLease>> backend = new HashMap<>();
		Map<String, BackendLease> byLeaseId = new HashMap<>();
		for (String key : this.world.keys()) {
			List<BackendLease> leases = this.world.backend().leases(key);
			backend.put(key, leases);
			for (BackendLease lease : leases) {
				byLeaseId.put(lease.leaseId(), lease);
			}
		}
		Violation v = keep(checkValidHandles(now, byLeaseId));
		if (v == null) {
			v = keep(checkTokens());
		}
		if (v == null) {
			v = keep(checkRenewed(now, byLeaseId));
		}
		if (v == null) {
			v = keep(checkLost(now, byLeaseId));
		}
		if (v == null) {
			v = keep(checkOrphans(now, backend));
		}
		if (v == null) {
			v = keep(checkStatistics());
		}
		return (v == null) ? null : new Violation(v.invariant, v.message + " [after " + step + ", t=" + Simulation.ms(now) + "]");
	}

	private static Violation keep(Violation v) {
		return (v != null && IGNORED.contains(Integer.toString(v.invariant))) ? null : v;
	}

	/**
	 * Checks invariants 1 and 2 only, which must hold at every instant, also while other threads are in
	 * the middle of calls.
	 * @param step what the step was, for the message
	 * @return the first violation, or null
	 */
	public synchronized Violation checkSafety(String step) {
		long now = this.world.masterNow();
		Map<String, BackendLease> byLeaseId = new HashMap<>();
		for (String key : this.world.keys()) {
			for (BackendLease lease : this.world.backend().leases(key)) {
				byLeaseId.put(lease.leaseId(), lease);
			}
		}
		Violation v = keep(checkValidHandles(now, byLeaseId));
		if (v == null) {
			v = keep(checkTokens());
		}
		return (v == null) ? null : new Violation(v.invariant, v.message + " [after " + step + ", t=" + Simulation.ms(now) + "]");
	}

	// 1 -------------------------------------------------------------------------------------------------

	private Violation checkValidHandles(long now, Map<String, BackendLease> byLeaseId) {
		Map<String, List<TrackedHandle>> validByKey = new HashMap<>();
		for (WorldView.ClientView client : this.world.clients()) {
			for (TrackedHandle h : client.handles()) {
				BackendLease lease = byLeaseId.get(h.handle.leaseId());
				if (lease != null) {
					h.lastSeenExpiry = lease.expiresAtMaster();
				}
				else if (h.live() && h.backendLostAt == Long.MIN_VALUE) {
					h.faultsAtBackendLoss = client.provider().faults();
					h.backendLostAt = (h.epoch != this.world.backend().epoch())
							? Math.max(this.world.backend().restartedAtMaster(), h.acquiredAtMaster)
							: (h.lastSeenExpiry != Long.MIN_VALUE && h.lastSeenExpiry <= now) ? h.lastSeenExpiry : now;
				}
				h.renewIntervalMaster = client.clock().toMasterDuration(renewIntervalNanos(h));
				if (!h.handle.isValid()) {
					continue;
				}
				long remaining = h.handle.remaining().toNanos();
				h.deadlineMaster = now + client.clock().toMasterDuration(remaining);
				if (h.epoch != this.world.backend().epoch()) {
					continue; // granted before a restart that lost it
				}
				if (lease == null || h.deadlineMaster > lease.expiresAtMaster()) {
					// re-read the lease and the handle: with other threads running, the snapshot may predate an
					// acquisition, or the handle may have been released since
					BackendLease fresh = freshLease(h);
					if (!h.handle.isValid()) {
						continue;
					}
					lease = fresh;
					remaining = h.handle.remaining().toNanos();
					h.deadlineMaster = now + client.clock().toMasterDuration(remaining);
				}
				if (lease == null) {
					return new Violation(1, h + " reports isValid() (remaining " + ms(remaining)
							+ " local) but the backend holds no lease " + h.handle.leaseId() + " on '" + h.backendKey
							+ "'" + lostInfo(h));
				}
				if (h.deadlineMaster > lease.expiresAtMaster()) {
					return new Violation(1, h + ": local deadline " + Simulation.ms(h.deadlineMaster)
							+ " (master time, drift " + client.clock().ppm() + " ppm) is after the backend's expiry "
							+ Simulation.ms(lease.expiresAtMaster()) + " by " + ms(h.deadlineMaster - lease.expiresAtMaster()));
				}
				validByKey.computeIfAbsent(h.backendKey, (k) -> new ArrayList<>()).add(h);
			}
		}
		for (Map.Entry<String, List<TrackedHandle>> entry : validByKey.entrySet()) {
			List<TrackedHandle> valid = new ArrayList<>();
			for (TrackedHandle h : entry.getValue()) {
				if (h.handle.isValid() && freshLease(h) != null) {
					valid.add(h); // still valid and held now: released or lost handles since the snapshot drop out
				}
			}
			if (valid.size() < 2) {
				continue;
			}
			for (TrackedHandle h : valid) {
				if (h.type == LeaseType.WRITE) {
					return new Violation(1, "two valid handles on '" + entry.getKey() + "' and one is a write: " + valid);
				}
			}
			boolean reads = valid.stream().anyMatch((h) -> h.type == LeaseType.READ);
			boolean permits = valid.stream().anyMatch((h) -> h.type == LeaseType.PERMITS);
			if (reads && permits) {
				return new Violation(1, "valid read and permit handles together on '" + entry.getKey() + "': " + valid);
			}
		}
		return null;
	}

	private BackendLease freshLease(TrackedHandle h) {
		for (BackendLease lease : this.world.backend().leases(h.backendKey)) {
			if (lease.leaseId().equals(h.handle.leaseId())) {
				return lease;
			}
		}
		return null;
	}

	// 2 -------------------------------------------------------------------------------------------------

	private Violation checkTokens() {
		List<SimBackend.GrantRecord> grants = this.world.backend().grants();
		for (; this.grantsChecked < grants.size(); this.grantsChecked++) {
			SimBackend.GrantRecord grant = grants.get(this.grantsChecked);
			Long last = this.lastTokenByKey.put(grant.key(), grant.token());
			if (last != null && grant.token() <= last) {
				return new Violation(2, "fencing token " + grant.token() + " granted on '" + grant.key() + "' (lease "
						+ grant.leaseId() + ", client " + grant.client() + ", epoch " + grant.epoch() + ", at "
						+ Simulation.ms(grant.grantedAtMaster()) + ") is not above the previous grant's " + last);
			}
		}
		for (WorldView.ClientView client : this.world.clients()) {
			for (TrackedHandle h : client.handles()) {
				SimBackend.GrantRecord grant = this.world.backend().grantOf(h.handle.leaseId());
				if (grant == null || grant.token() != h.handle.fencingToken()) {
					return new Violation(2, h + " carries token " + h.handle.fencingToken() + " but the backend granted "
							+ ((grant == null) ? "no such lease" : "token " + grant.token()));
				}
			}
		}
		return null;
	}

	// 3 -------------------------------------------------------------------------------------------------

	private Violation checkRenewed(long now, Map<String, BackendLease> byLeaseId) {
		for (WorldView.ClientView client : this.world.clients()) {
			for (TrackedHandle h : client.handles()) {
				if (!h.live() || !h.autoExtend || h.epoch != this.world.backend().epoch()
						|| client.provider().faults() != h.faultsAtAcquire
						|| this.world.longestTickGapSince(h.acquiredAtMaster) > h.renewIntervalMaster) {
					continue;
				}
				boolean valid = h.handle.isValid();
				if (!valid || byLeaseId.get(h.handle.leaseId()) == null) {
					return new Violation(3, h + " is auto-extended and every call of client " + h.client
							+ " succeeded since it was acquired, yet " + (valid ? "its lease is gone from the backend"
									: "it is no longer valid (remaining " + h.handle.remaining().toMillis() + " ms)")
							+ "; renewals so far " + h.handle.renewals() + ", last backend expiry "
							+ Simulation.ms(h.lastSeenExpiry) + ": it was not renewed in time");
				}
			}
		}
		return null;
	}

	// 4 -------------------------------------------------------------------------------------------------

	private Violation checkLost(long now, Map<String, BackendLease> byLeaseId) {
		for (WorldView.ClientView client : this.world.clients()) {
			for (TrackedHandle h : client.handles()) {
				int fired = h.lostFired.get();
				if (fired > 1) {
					return new Violation(4, "onLost ran " + fired + " times for " + h);
				}
				if (fired == 1 && h.handle.isValid()) {
					return new Violation(4, h + " still reports isValid() after onLost ran at " + Simulation.ms(h.lostAtMaster));
				}
				if (h.outcome == ReleaseOutcome.RELEASED && fired != 0) {
					return new Violation(4, h + ": release() returned RELEASED but onLost ran");
				}
				if (h.outcome == ReleaseOutcome.LOST && fired == 0) {
					return new Violation(4, h + ": release() returned LOST but onLost never ran");
				}
				if (fired == 1 && h.epoch == this.world.backend().epoch() && byLeaseId.get(h.handle.leaseId()) != null
						&& h.deadlineMaster > h.lostAtMaster + 1_000_000L && client.provider().faults() == h.faultsAtAcquire
						&& h.lostAtMaster == now) {
					return new Violation(4, "onLost ran at " + Simulation.ms(h.lostAtMaster) + " for " + h
							+ " while the backend still holds the lease and its local deadline is " + Simulation.ms(h.deadlineMaster));
				}
				if (fired != 0 || h.outcome != null || h.releaseThrew || h.closedByEngine) {
					continue;
				}
				long by = h.deadlineMaster;
				String why = "its local deadline " + Simulation.ms(h.deadlineMaster);
				if (h.autoExtend && h.backendLostAt != Long.MIN_VALUE && h.backendLostAt + h.renewIntervalMaster < by
						&& client.provider().faults() == h.faultsAtBackendLoss) {
					by = h.backendLostAt + h.renewIntervalMaster;
					why = "one renewal interval (" + ms(h.renewIntervalMaster) + ") after the backend lost it at "
							+ Simulation.ms(h.backendLostAt);
				}
				if (by != Long.MIN_VALUE && this.world.lastTickAt() > by + 1_000_000L) {
					return new Violation(4, "onLost has not run for " + h + ", due by " + why
							+ ", although the renewal scheduler ran at " + Simulation.ms(this.world.lastTickAt())
							+ "; isValid()=" + h.handle.isValid());
				}
			}
		}
		return null;
	}

	// 5 -------------------------------------------------------------------------------------------------

	private Violation checkOrphans(long now, Map<String, List<BackendLease>> backend) {
		Map<String, TrackedHandle> handles = new HashMap<>();
		Set<String> owned = new HashSet<>();
		for (WorldView.ClientView client : this.world.clients()) {
			for (TrackedHandle h : client.handles()) {
				handles.put(h.handle.leaseId(), h);
				if (h.live()) {
					owned.add(h.handle.leaseId());
				}
			}
			for (TrackedDetached d : client.detached()) {
				owned.add(d.leaseId());
			}
		}
		Set<String> present = new HashSet<>();
		for (List<BackendLease> leases : backend.values()) {
			for (BackendLease lease : leases) {
				present.add(lease.leaseId());
				if (owned.contains(lease.leaseId())) {
					continue;
				}
				SimBackend.GrantRecord grant = this.world.backend().grantOf(lease.leaseId());
				int creator = (grant != null) ? grant.client() : -1;
				if (creator == this.world.clientInCall()) {
					continue; // checked when the call returns
				}
				Long first = this.orphanExpiry.get(lease.leaseId());
				if (first == null) {
					TrackedHandle h = handles.get(lease.leaseId());
					boolean minHold = h != null && h.outcome == ReleaseOutcome.RELEASED && h.minHoldNanos > 0
							&& lease.expiresAtMaster() <= h.releasedAtMaster + h.minHoldNanos + this.world.maxLatencyNanos();
					if (h != null && h.outcome == ReleaseOutcome.RELEASED && !minHold) {
						return new Violation(5, h + ": release() returned RELEASED but the backend still holds the lease until "
								+ Simulation.ms(lease.expiresAtMaster()));
					}
					boolean excused = minHold || (creator >= 0 && this.world.clients().get(creator).provider().lastCallFailed())
							|| (h != null && (h.lostFired.get() > 0 || lastCallOnLeaseFailed(h)));
					if (!excused) {
						return new Violation(5, "orphan lease " + lease.leaseId() + " on '" + lease.key() + "' (" + lease.type()
								+ ", token " + lease.token() + ", created by client " + creator + " in operation #"
								+ ((grant != null) ? grant.opIndex() : -1) + ", expires " + Simulation.ms(lease.expiresAtMaster())
								+ ") belongs to no live handle or detached lease although client " + creator
								+ "'s last call to the backend succeeded" + ((h != null) ? "; its handle: " + h + describe(h) : ""));
					}
					this.orphanExpiry.put(lease.leaseId(), lease.expiresAtMaster());
				}
				else if (lease.expiresAtMaster() > first && !withinMinHold(handles.get(lease.leaseId()), lease.expiresAtMaster())) {
					return new Violation(5, "orphan lease " + lease.leaseId() + " on '" + lease.key() + "' was extended from "
							+ Simulation.ms(first) + " to " + Simulation.ms(lease.expiresAtMaster()) + " after nobody owned it");
				}
			}
		}
		this.orphanExpiry.keySet().retainAll(present);
		return null;
	}

	/**
	 * Whether {@code expiry} is within the minimum hold of {@code h}'s lease: a release before the minimum
	 * hold ends is an extend to it, and a caller that retries a release whose reply was lost re-sends that
	 * extend. The backend applies it from when the extend arrives, so each retry may move the expiry by up to
	 * a one-way latency (plus the client's drift over the hold and 1 ms of rounding up) past the grant plus
	 * the minimum hold — never further.
	 */
	private boolean withinMinHold(TrackedHandle h, long expiry) {
		if (h == null || h.minHoldNanos <= 0 || h.minHoldNanos >= Long.MAX_VALUE / 8) {
			return false;
		}
		long drift = h.minHoldNanos / 100; // clients drift by at most 9,000 ppm
		return expiry <= h.acquiredAtMaster + h.minHoldNanos + drift + this.world.maxLatencyNanos() + 1_000_000L;
	}

	private static boolean lastCallOnLeaseFailed(TrackedHandle h) {
		if (!h.releaseThrew && !h.closedByEngine) {
			return false;
		}
		return true;
	}

	private static String describe(TrackedHandle h) {
		return " (outcome " + h.outcome + ", release threw " + h.releaseThrew + ", closed " + h.closedByEngine + ")";
	}

	// 7 -------------------------------------------------------------------------------------------------

	private Violation checkStatistics() {
		for (WorldView.ClientView client : this.world.clients()) {
			if (client.index() == this.world.clientInCall()) {
				continue;
			}
			LockStatistics stats = client.engine().statistics();
			long live = 0;
			long lost = 0;
			Set<String> liveIds = new HashSet<>();
			for (TrackedHandle h : client.handles()) {
				if (h.live()) {
					live++;
					liveIds.add(h.handle.leaseId());
				}
				if (h.lostFired.get() > 0) {
					lost++;
				}
			}
			long handles = client.handles().size();
			String who = "client " + client.index() + ": ";
			if (stats.acquired() < handles || stats.acquired() > handles + client.detached().size() + detachedEver(client)) {
				return new Violation(7, who + "statistics say " + stats.acquired() + " acquired, the caller got " + handles + " handles");
			}
			if (stats.released() != client.releasedCount()) {
				return new Violation(7, who + "statistics say " + stats.released() + " released, but release() returned RELEASED "
						+ client.releasedCount() + " times (a failed or lost release must not count)");
			}
			if (stats.lost() != lost) {
				return new Violation(7, who + "statistics say " + stats.lost() + " lost, onLost ran for " + lost + " handles");
			}
			if (stats.active() != live || client.engine().activeLockCount() != live) {
				return new Violation(7, who + "statistics say " + stats.active() + " active (activeLockCount "
						+ client.engine().activeLockCount() + "), the caller holds " + live);
			}
			Set<String> held = new HashSet<>();
			for (LockHandle h : client.engine().heldLocks()) {
				held.add(h.leaseId());
			}
			if (!held.equals(liveIds)) {
				return new Violation(7, who + "heldLocks() " + held + " differ from the live handles " + liveIds);
			}
			long acquiredEvents = count(client, LockEvent.Type.ACQUIRED);
			long releasedEvents = count(client, LockEvent.Type.RELEASED);
			long lostEvents = count(client, LockEvent.Type.LOST);
			if (acquiredEvents != stats.acquired() || releasedEvents != stats.released() || lostEvents != stats.lost()) {
				return new Violation(7, who + "events ACQUIRED/RELEASED/LOST = " + acquiredEvents + "/" + releasedEvents + "/"
						+ lostEvents + " but statistics say " + stats.acquired() + "/" + stats.released() + "/" + stats.lost());
			}
		}
		return null;
	}

	private static long detachedEver(WorldView.ClientView client) {
		return (client instanceof Simulation.Client c) ? c.detachedAcquired : 0;
	}

	private static long count(WorldView.ClientView client, LockEvent.Type type) {
		return client.events().stream().filter((e) -> e.type() == type).count();
	}

	// 6 -------------------------------------------------------------------------------------------------

	/**
	 * Returns how late after a key became free a waiter may get it: the engine's 1 ms hint slack, one
	 * scheduler tick, a round trip, the client's drift over the wait, and 5 ms of rounding.
	 * @param waitedNanos how long the waiter has waited (master)
	 * @return the bound in master nanos
	 */
	public long waitBound(long waitedNanos) {
		return 6_000_000L + this.world.tickNanos() + 2 * this.world.maxLatencyNanos() + waitedNanos / 100;
	}

	/**
	 * Checks one waiting acquisition once it returned (invariant 6).
	 * @param what the operation
	 * @param key the backend key
	 * @param startMaster when the call started
	 * @param firstFreeMaster when the key was first seen free during the wait, or MIN_VALUE
	 * @param simulationDelayNanos master time the simulation itself held the waiter after the key was free
	 * (other clients' renewal calls running on the one simulated timeline at the end of its sleep), added to
	 * the bound: real clients renew in parallel, so the engine can neither cause nor avoid it
	 * @param acquiredAtMaster when the backend granted it, or MIN_VALUE if it was not acquired
	 * @param endMaster when the call returned
	 * @return a violation, or null
	 */
	public Violation checkWaiter(String what, String key, long startMaster, long firstFreeMaster,
			long simulationDelayNanos, long acquiredAtMaster, long endMaster) {
		if (firstFreeMaster == Long.MIN_VALUE || IGNORED.contains("6")) {
			return null;
		}
		long bound = waitBound(endMaster - startMaster) + simulationDelayNanos;
		if (acquiredAtMaster == Long.MIN_VALUE && endMaster > firstFreeMaster + bound) {
			return new Violation(6, what + " gave up at " + Simulation.ms(endMaster) + " although '" + key
					+ "' was free (no lease but the waiter's own unowned attempts) since " + Simulation.ms(firstFreeMaster)
					+ " (bound " + ms(bound) + "; waiting since " + Simulation.ms(startMaster) + ")");
		}
		if (acquiredAtMaster != Long.MIN_VALUE && acquiredAtMaster > firstFreeMaster + bound) {
			return new Violation(6, what + " got '" + key + "' only at " + Simulation.ms(acquiredAtMaster)
					+ ", it was free since " + Simulation.ms(firstFreeMaster) + " (bound " + ms(bound) + ")");
		}
		return null;
	}

	private static String lostInfo(TrackedHandle h) {
		return "; last backend expiry " + Simulation.ms(h.lastSeenExpiry) + ", backend lost it at "
				+ Simulation.ms(h.backendLostAt);
	}

	static String ms(long nanos) {
		return String.format("%.3f ms", nanos / 1e6);
	}

	static Duration nanos(long n) {
		return Duration.ofNanos(n);
	}

	/**
	 * The tick gap within which an auto-extended lease must stay renewed: a third of its TTL, or with its own
	 * renewal period the shorter of the period and what is left of the validity after it (a renewal due at the
	 * period is then sent before the local deadline).
	 */
	private static long renewIntervalNanos(TrackedHandle h) {
		long ttl = h.ttl.toNanos();
		if (h.renewalPeriodNanos <= 0 || h.renewalPeriodNanos >= ttl) {
			return Math.max(1_000_000L, ttl / 3);
		}
		long validity = Math.max(ttl - ttl / 100 - 2_000_000L, ttl / 2);
		return Math.max(1_000_000L, Math.min(h.renewalPeriodNanos, validity - h.renewalPeriodNanos));
	}

}
