package dev.locksmith.faults;

import java.util.List;

/**
 * The faults the nemesis injects, one kind per run ({@link #MIXED} draws from the others the backend
 * supports, on a seeded schedule).
 */
enum Fault {

	/** No fault: the control. */
	NONE("none"),

	/** {@code kill -9} of a client (usually holding locks); a new client takes its place. */
	KILL("kill -9 client"),

	/** {@code SIGSTOP} of a client for 2.5 TTLs, then {@code SIGCONT}: the GC-pause case. */
	PAUSE("SIGSTOP > TTL"),

	/** Backend restart without persistence (Redis: one node, all data gone). */
	RESTART("backend restart"),

	/** PostgreSQL {@code pg_terminate_backend} of every client session. */
	TERMINATE("pg_terminate_backend"),

	/** 300 ms added to every chunk between client c1 and the backend, for 2 TTLs. */
	LATENCY("latency 300 ms"),

	/** Everything between c1 and the backend dropped for 2 TTLs (connections stay open). */
	BLACKHOLE("blackhole"),

	/** Replies from the backend to c1 dropped for 2 TTLs; its requests still apply. */
	DROP_REPLIES("drop replies (one way)"),

	/** Every connection between c1 and the backend reset (RST). */
	RESET("reset connections"),

	/** c1's monotonic clock 0.9% fast and c2's 0.9% slow (drift allowance: 1% + 2 ms) for the whole run. */
	CLOCK("clock drift ±0.9%"),

	/** A seeded random schedule of every fault above that the backend supports, with clock drift. */
	MIXED("mixed");

	private final String label;

	Fault(String label) {
		this.label = label;
	}

	/**
	 * Returns the fault's label for the table.
	 * @return the label
	 */
	String label() {
		return this.label;
	}

	/**
	 * Returns whether injected faults go through c1's proxy.
	 * @return {@code true} for network faults
	 */
	boolean network() {
		return List.of(LATENCY, BLACKHOLE, DROP_REPLIES, RESET).contains(this);
	}

	/**
	 * Parses a fault name.
	 * @param name the name, any case, {@code -} for {@code _}
	 * @return the fault
	 */
	static Fault of(String name) {
		try {
			return valueOf(name.trim().toUpperCase().replace('-', '_'));
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalArgumentException("Unknown fault '" + name + "'; known: " + List.of(values()), ex);
		}
	}

}
