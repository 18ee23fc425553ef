package dev.locksmith.provider.redis;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.locksmith.LockInfo;
import dev.locksmith.LockPage;
import org.jspecify.annotations.Nullable;

/**
 * The pages of {@code list}. A listing that starts at offset 0 scans the keyspace; the following pages of
 * the same prefix (a caller walking all keys in chunks) reuse that scan for up to {@value #REUSE_SECONDS} s
 * instead of scanning the whole keyspace again for every chunk. Only the latest scan is kept.
 *
 * <p>Each page reads its keys' leases live. A key of the scan found without a live lease is dropped from
 * the scan, so the keys after it move up, exactly as they would in a fresh scan: a walker that advances its
 * offset by the keys it got sees every key that stayed held once, in key order, and never a key twice. A
 * reused scan can only miss keys that appeared after it. Thread-safe.
 */
final class KeyListing {

	/** How long later pages reuse a listing's scan. */
	static final long REUSE_SECONDS = 10;

	private final AtomicReference<Snapshot> latest = new AtomicReference<>();

	/**
	 * Returns a page of held keys.
	 * @param keyPrefix the listing's prefix
	 * @param offset how many held keys to skip; 0 always scans
	 * @param limit the most keys to return
	 * @param scan finds the keys (unordered, possibly with duplicates)
	 * @param read reads a key's live leases
	 * @return the page, its total being the keys of the scan not yet found free
	 */
	LockPage page(String keyPrefix, int offset, int limit, Supplier<? extends Collection<String>> scan,
			Function<String, LockInfo> read) {
		Snapshot snapshot = snapshot(keyPrefix, offset, scan);
		List<LockInfo> page = new ArrayList<>();
		String key = snapshot.at(Math.max(0, offset));
		while (key != null && page.size() < limit) {
			LockInfo info = read.apply(key);
			if (info.isLocked()) {
				page.add(info);
			}
			else {
				snapshot.remove(key);
			}
			key = snapshot.after(key);
		}
		return new LockPage(page, snapshot.size());
	}

	private Snapshot snapshot(String keyPrefix, int offset, Supplier<? extends Collection<String>> scan) {
		long now = System.nanoTime();
		Snapshot snapshot = this.latest.get();
		if (offset > 0 && snapshot != null && snapshot.keyPrefix.equals(keyPrefix)
				&& now - snapshot.takenAtNanos < TimeUnit.SECONDS.toNanos(REUSE_SECONDS)) {
			return snapshot;
		}
		List<String> keys = new ArrayList<>(new HashSet<>(scan.get()));
		Collections.sort(keys);
		snapshot = new Snapshot(keyPrefix, keys, now);
		this.latest.set(snapshot);
		return snapshot;
	}

	/** One scan's sorted keys, from which keys found free are removed. */
	private static final class Snapshot {

		final String keyPrefix;

		final long takenAtNanos;

		private final List<String> keys;

		Snapshot(String keyPrefix, List<String> keys, long takenAtNanos) {
			this.keyPrefix = keyPrefix;
			this.keys = keys;
			this.takenAtNanos = takenAtNanos;
		}

		synchronized @Nullable String at(int index) {
			return (index < this.keys.size()) ? this.keys.get(index) : null;
		}

		/** The first key after {@code key} (which may have been removed meanwhile). */
		synchronized @Nullable String after(String key) {
			int index = Collections.binarySearch(this.keys, key);
			int next = (index >= 0) ? index + 1 : -index - 1;
			return (next < this.keys.size()) ? this.keys.get(next) : null;
		}

		synchronized void remove(String key) {
			int index = Collections.binarySearch(this.keys, key);
			if (index >= 0) {
				this.keys.remove(index);
			}
		}

		synchronized int size() {
			return this.keys.size();
		}

	}

}
