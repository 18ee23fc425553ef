package dev.locksmith.faults;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One line of a history: what a client, the fenced store or the nemesis did, and when. Times are
 * {@link System#nanoTime()} readings, comparable across the processes of one Linux host.
 *
 * <p>Line format: space-separated {@code name=value} fields, values without spaces, {@code -} for none:
 * {@code t=123 p=c1 th=2 type=ok op=acquire key=m0 lease=ab12 tok=17 v=excl id=-}.
 *
 * @param time the monotonic time in nanoseconds
 * @param process who recorded it: a client ({@code c1}…), {@code store} or {@code nemesis}
 * @param thread the recording thread within the process
 * @param type invoke, ok, fail or info
 * @param op the operation: acquire, check, write, release, lost, store, fault-start, fault-end, leak…
 * @param key the lock key, or the fault's target
 * @param lease the lease id, or {@code -}
 * @param token the fencing token, or 0
 * @param value the operation's detail (lock mode, validity, outcome, fault name)
 * @param id the write id that joins a client's write to the store's record, or 0
 */
record Event(long time, String process, int thread, Type type, String op, String key, String lease, long token,
		String value, long id) {

	/** The kind of event, as in Jepsen histories. */
	enum Type {

		/** An operation started. */
		INVOKE,

		/** It completed. */
		OK,

		/** It certainly did not take effect (or failed). */
		FAIL,

		/** Something observed, not an operation with a result. */
		INFO

	}

	Event {
		key = clean(key);
		lease = clean(lease);
		value = clean(value);
	}

	/**
	 * Returns the event as one history line.
	 * @return the line, without a line break
	 */
	String toLine() {
		return "t=" + this.time + " p=" + this.process + " th=" + this.thread + " type="
				+ this.type.name().toLowerCase() + " op=" + this.op + " key=" + this.key + " lease=" + this.lease
				+ " tok=" + this.token + " v=" + this.value + " id=" + this.id;
	}

	/**
	 * Parses a line written by {@link #toLine()}.
	 * @param line the line
	 * @return the event
	 * @throws IllegalArgumentException if the line is not a history line
	 */
	static Event parse(String line) {
		Map<String, String> fields = new LinkedHashMap<>();
		for (String part : line.trim().split(" ")) {
			int eq = part.indexOf('=');
			if (eq <= 0) {
				throw new IllegalArgumentException("Event.parse: not a name=value field '" + part + "' in: " + line);
			}
			fields.put(part.substring(0, eq), part.substring(eq + 1));
		}
		try {
			return new Event(Long.parseLong(fields.get("t")), fields.get("p"), Integer.parseInt(fields.get("th")),
					Type.valueOf(fields.get("type").toUpperCase()), fields.get("op"), fields.get("key"),
					fields.get("lease"), Long.parseLong(fields.get("tok")), fields.get("v"),
					Long.parseLong(fields.get("id")));
		}
		catch (RuntimeException ex) {
			throw new IllegalArgumentException("Event.parse: incomplete history line: " + line, ex);
		}
	}

	private static String clean(String text) {
		if (text == null || text.isEmpty()) {
			return "-";
		}
		return text.replace(' ', '_').replace('\n', '_').replace('\r', '_').replace('=', ':');
	}

}
