package dev.locksmith.sim;

/**
 * One step of a simulated run. Handles are named by the client and an index into the handles that client
 * was given (modulo their number), so that a sequence stays meaningful when the shrinker removes steps.
 * Times are in ms; {@code -1} means huge (a TTL or minimum hold of a million days, a wait of
 * {@code ChronoUnit.FOREVER}).
 */
public sealed interface Op {

	/** How an acquisition is made. */
	enum Mode {
		/** {@code tryAcquire(key, options)}. */
		TRY,
		/** {@code acquire(key, options)}: throws when not acquired. */
		BLOCK,
		/** {@code readWrite(key).tryRead(options)}. */
		READ,
		/** {@code readWrite(key).tryWrite(options)}. */
		RW_WRITE,
		/** {@code semaphore("s"+key, 2).tryAcquire(1, options)}. */
		PERMIT
	}

	/** @return the client the step acts for, or -1 */
	int client();

	/**
	 * Acquire a handle.
	 * @param client the client
	 * @param key the key
	 * @param mode how
	 * @param ttlMs the TTL (0: the default 30 s)
	 * @param autoExtend whether to auto-extend
	 * @param waitMs the wait time
	 * @param minHoldMs the minimum hold
	 * @param renewalPeriodMs the renewal period (0: a third of the TTL)
	 * @param renewalTimeoutMs the renewal timeout (0: none)
	 */
	record Acquire(int client, String key, Mode mode, long ttlMs, boolean autoExtend, long waitMs, long minHoldMs,
			long renewalPeriodMs, long renewalTimeoutMs) implements Op {

		Acquire(int client, String key, Mode mode, long ttlMs, boolean autoExtend, long waitMs, long minHoldMs) {
			this(client, key, mode, ttlMs, autoExtend, waitMs, minHoldMs, 0, 0);
		}

	}

	/** Release a handle. @param client the client @param handle the handle index */
	record Release(int client, int handle) implements Op {
	}

	/** Extend a handle. @param client the client @param handle the handle index @param ttlMs the new TTL */
	record Extend(int client, int handle, long ttlMs) implements Op {
	}

	/** Let time pass in scheduler ticks, every engine running its due renewals. @param ms how long */
	record Advance(long ms) implements Op {
		@Override
		public int client() {
			return -1;
		}
	}

	/** Acquire a detached lease. @param client the client @param key the key @param ttlMs the TTL */
	record AcquireDetached(int client, String key, long ttlMs) implements Op {
	}

	/** Release a detached lease by id. @param client the client @param index which */
	record ReleaseDetached(int client, int index) implements Op {
	}

	/** Close a client's engine. @param client the client */
	record Close(int client) implements Op {
	}

	/** The next calls of a client fail before the backend applies them. @param client the client @param count how many */
	record FailNext(int client, int count) implements Op {
	}

	/** The next calls of a client lose their reply after the backend applied them. @param client the client @param count how many */
	record LoseReplyNext(int client, int count) implements Op {
	}

	/** The backend is unreachable for every client for a while (time passes in ticks). @param ms how long */
	record Outage(long ms) implements Op {
		@Override
		public int client() {
			return -1;
		}
	}

	/** The backend restarts and loses every lease. */
	record Restart() implements Op {
		@Override
		public int client() {
			return -1;
		}
	}

}
