package dev.locksmith.provider.redis;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The sorted keys behind {@code list} pages. A listing that starts at offset 0 scans the keyspace; the
 * following pages of the same prefix (a caller walking all keys in chunks) reuse that scan for up to
 * {@value #REUSE_SECONDS} s instead of scanning the whole keyspace again for every chunk. Only the latest
 * scan is kept. Each page still reads its keys' leases live, so a reused scan can only miss keys that
 * appeared after it (or count keys that disappeared since). Thread-safe.
 */
final class KeyListing {

	/** How long later pages reuse a listing's scan. */
	static final long REUSE_SECONDS = 10;

	private final AtomicReference<Snapshot> latest = new AtomicReference<>();

	/**
	 * Returns the sorted keys for a page.
	 * @param keyPrefix the listing's prefix
	 * @param offset the page's offset; 0 always scans
	 * @param scan finds the keys (unordered, possibly with duplicates)
	 * @return the sorted, distinct keys
	 */
	List<String> keys(String keyPrefix, int offset, Supplier<? extends Collection<String>> scan) {
		long now = System.nanoTime();
		Snapshot snapshot = this.latest.get();
		if (offset > 0 && snapshot != null && snapshot.keyPrefix.equals(keyPrefix)
				&& now - snapshot.takenAtNanos < TimeUnit.SECONDS.toNanos(REUSE_SECONDS)) {
			return snapshot.keys;
		}
		List<String> keys = new ArrayList<>(new HashSet<>(scan.get()));
		Collections.sort(keys);
		keys = Collections.unmodifiableList(keys);
		this.latest.set(new Snapshot(keyPrefix, keys, now));
		return keys;
	}

	private record Snapshot(String keyPrefix, List<String> keys, long takenAtNanos) {
	}

}
