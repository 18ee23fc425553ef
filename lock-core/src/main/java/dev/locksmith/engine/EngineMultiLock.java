package dev.locksmith.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;

import dev.locksmith.LeaseType;
import dev.locksmith.LockHandle;
import dev.locksmith.LockLostException;
import dev.locksmith.LockOptions;
import dev.locksmith.MultiLockHandle;
import dev.locksmith.ReleaseOutcome;
import dev.locksmith.spi.KeyText;

/**
 * A set of keys held together: one {@link HeldLease} per distinct key, taken in ascending key order with a
 * shared wait time, all or nothing. Owns nothing but the list of leases; each lease keeps its own lifecycle.
 */
final class EngineMultiLock implements MultiLockHandle {

	private static final org.slf4j.Logger logger = org.slf4j.LoggerFactory.getLogger(EngineMultiLock.class);

	private final List<String> keys;

	private final List<HeldLease> leases;

	/** The keys the last {@link #release()} found lost. */
	private volatile List<String> lostKeys = List.of();

	private EngineMultiLock(List<String> keys, List<HeldLease> leases) {
		this.keys = keys;
		this.leases = leases;
	}

	/**
	 * Acquires every key in ascending order within the options' wait time. On any failure part-way (denied,
	 * timed out, interrupted, backend down, already held by this thread) releases the keys taken so far.
	 * @return the set, or null when a key was not acquired and {@code throwIfNotAcquired} is false
	 */
	static @Nullable EngineMultiLock acquire(LockEngine engine, String method, @Nullable Collection<String> keys,
			LockOptions options, boolean throwIfNotAcquired) {
		List<String> sorted = sortedKeys(method, keys);
		java.util.Objects.requireNonNull(options, "options must not be null");
		Duration wait = (options.waitTime() != null) ? options.waitTime() : engine.defaults().waitTime();
		long start = engine.clock().nanoTime();
		long waitNanos = wait.toNanos();
		List<HeldLease> taken = new ArrayList<>(sorted.size());
		try {
			for (String key : sorted) {
				long left = Math.max(0, waitNanos - (engine.clock().nanoTime() - start));
				HeldLease lease = engine.acquireTracked(method, key, LeaseType.WRITE, 1, 1,
						options.withWaitTime(Duration.ofNanos(left)), throwIfNotAcquired);
				if (lease == null) {
					releaseAll(taken, null);
					return null;
				}
				taken.add(lease);
			}
		}
		catch (RuntimeException | Error ex) {
			releaseAll(taken, ex);
			throw ex;
		}
		return new EngineMultiLock(List.copyOf(sorted), List.copyOf(taken));
	}

	/** Validates the keys and returns them distinct and sorted. */
	static List<String> sortedKeys(String method, @Nullable Collection<String> keys) {
		if (keys == null || keys.isEmpty()) {
			throw new IllegalArgumentException("MutexService." + method + ": keys must not be "
					+ ((keys == null) ? "null" : "empty"));
		}
		TreeSet<String> distinct = new TreeSet<>();
		int index = 0;
		for (String key : keys) {
			if (key == null || key.isBlank()) {
				throw new IllegalArgumentException("MutexService." + method + ": keys[" + index
						+ "] must not be null or blank, was " + ((key == null) ? "null" : "'" + KeyText.forMessage(key) + "'"));
			}
			distinct.add(key);
			index++;
		}
		if (distinct.size() > MAX_KEYS) {
			throw new IllegalArgumentException("MutexService." + method + ": at most " + MAX_KEYS
					+ " distinct keys may be locked together, was " + distinct.size());
		}
		return new ArrayList<>(distinct);
	}

	/**
	 * Releases the leases already taken, in reverse order, after {@code failure} (or a denial) part-way. A
	 * release the backend does not confirm is attached to the failure, or logged after a denial; that lease
	 * expires by its TTL.
	 */
	private static void releaseAll(List<HeldLease> taken, @Nullable Throwable failure) {
		for (int i = taken.size() - 1; i >= 0; i--) {
			try {
				taken.get(i).release();
			}
			catch (RuntimeException ex) {
				if (failure != null) {
					failure.addSuppressed(ex);
				}
				else {
					logger.warn("Could not release {} after another key of its set was denied; it expires by its TTL",
							taken.get(i), ex);
				}
			}
		}
	}

	@Override
	public List<String> keys() {
		return this.keys;
	}

	@Override
	public List<LockHandle> handles() {
		return Collections.unmodifiableList(this.leases);
	}

	@Override
	public LockHandle handle(String key) {
		int index = Collections.binarySearch(this.keys, key);
		if (index < 0) {
			throw new IllegalArgumentException(
					"MultiLockHandle: '" + KeyText.forMessage(String.valueOf(key)) + "' is not one of the keys held");
		}
		return this.leases.get(index);
	}

	@Override
	public long fencingToken(String key) {
		return handle(key).fencingToken();
	}

	@Override
	public Map<String, Long> fencingTokens() {
		Map<String, Long> tokens = new LinkedHashMap<>();
		for (HeldLease lease : this.leases) {
			tokens.put(lease.key(), lease.fencingToken());
		}
		return Collections.unmodifiableMap(tokens);
	}

	@Override
	public boolean isValid() {
		for (HeldLease lease : this.leases) {
			if (!lease.isValid()) {
				return false;
			}
		}
		return true;
	}

	@Override
	public MultiLockHandle onLost(Runnable callback) {
		java.util.Objects.requireNonNull(callback, "callback must not be null");
		AtomicBoolean ran = new AtomicBoolean();
		for (HeldLease lease : this.leases) {
			lease.onLost(() -> {
				if (ran.compareAndSet(false, true)) {
					callback.run();
				}
			});
		}
		return this;
	}

	@Override
	public ReleaseOutcome release() {
		List<String> lost = new ArrayList<>();
		boolean released = false;
		RuntimeException failure = null;
		for (int i = this.leases.size() - 1; i >= 0; i--) {
			try {
				switch (this.leases.get(i).release()) {
					case LOST -> lost.add(this.keys.get(i));
					case RELEASED -> released = true;
					case ALREADY_RELEASED -> {
					}
				}
			}
			catch (RuntimeException ex) {
				if (failure == null) {
					failure = ex;
				}
				else {
					failure.addSuppressed(ex);
				}
			}
		}
		if (failure != null) {
			throw failure;
		}
		if (!lost.isEmpty()) {
			this.lostKeys = List.copyOf(lost);
			return ReleaseOutcome.LOST;
		}
		return released ? ReleaseOutcome.RELEASED : ReleaseOutcome.ALREADY_RELEASED;
	}

	@Override
	public void close() {
		if (release() == ReleaseOutcome.LOST) {
			throw lostException();
		}
	}

	/** Returns the exception for keys found lost by the last release (or, before one, any invalid key). */
	LockLostException lostException() {
		List<String> lost = new ArrayList<>(this.lostKeys);
		if (lost.isEmpty()) {
			for (HeldLease lease : this.leases) {
				if (!lease.isValid()) {
					lost.add(lease.key());
				}
			}
		}
		String first = lost.isEmpty() ? this.keys.get(0) : lost.get(0);
		return new LockLostException(first, "Locks " + shown(lost) + " of the set " + shown(this.keys)
				+ " were lost (expired or taken over) while held together");
	}

	private static String shown(List<String> keys) {
		List<String> shown = new ArrayList<>(keys.size());
		for (String key : keys) {
			shown.add(KeyText.forMessage(key));
		}
		return shown.toString();
	}

	@Override
	public String toString() {
		return "MultiLockHandle" + shown(this.keys);
	}

}
