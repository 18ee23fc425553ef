package dev.locksmith.sim;

import java.util.Collection;
import java.util.List;

import dev.locksmith.LockEvent;
import dev.locksmith.engine.LockEngine;

/**
 * What {@link LeaseInvariants} needs to see of a world of clients on one backend. The simulation
 * implements it; any harness that tracks its handles the same way can reuse the checker.
 */
public interface WorldView {

	/** @return master (backend) time now */
	long masterNow();

	/** @return the backend keys to inspect */
	Collection<String> keys();

	/** @return the backend */
	SimBackend backend();

	/** @return the clients */
	List<? extends ClientView> clients();

	/** @return the client in the middle of a call (its state is checked only when the call returns), or -1 */
	int clientInCall();

	/** @return the time step of the renewal scheduler model */
	long tickNanos();

	/** @return the largest one-way latency of a call */
	long maxLatencyNanos();

	/** @return master time at which the last completed scheduler run (every engine's due renewals) started */
	long lastTickAt();

	/**
	 * Returns the longest time between two scheduler runs since {@code masterNanos} (the simulation has no
	 * runs while one client's calls take time: a handle is held to invariant 3 only if the renewals had
	 * their chance).
	 * @param masterNanos since when
	 * @return the longest gap in master nanos
	 */
	long longestTickGapSince(long masterNanos);

	/** One client as the checker sees it. */
	interface ClientView {

		/** @return the index */
		int index();

		/** @return the engine */
		LockEngine engine();

		/** @return the client's clock */
		DriftingClock clock();

		/** @return every handle it was given */
		List<TrackedHandle> handles();

		/** @return detached leases not released */
		List<TrackedDetached> detached();

		/** @return events its listener received */
		List<LockEvent> events();

		/** @return its provider connection */
		SimProvider provider();

		/** @return whether it was closed */
		boolean closed();

		/** @return handles whose release() returned RELEASED, counted by the harness */
		long releasedCount();

	}

}
