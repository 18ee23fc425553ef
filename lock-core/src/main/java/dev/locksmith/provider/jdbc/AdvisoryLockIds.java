package dev.locksmith.provider.jdbc;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The advisory lock ids of advisory mode: a key hashed (SHA-256, first 64 bits) together with the namespace
 * and a kind, so that one key has a main lock id and auxiliary ids for its readers, its permit holders and its
 * semaphore slots.
 */
final class AdvisoryLockIds {

	/** The key's main lock: exclusive for a writer, shared for readers and permit holders. */
	static final char MAIN = 'L';

	/** Announces a reader (shared). */
	static final char READERS = 'R';

	/** Announces a permit holder (shared). */
	static final char PERMIT_HOLDERS = 'P';

	/** The first of a semaphore's slots; slot {@code s} is this id XOR {@code s}. */
	static final char SLOTS = 'S';

	private final long namespace;

	AdvisoryLockIds(long namespace) {
		this.namespace = namespace;
	}

	/**
	 * Returns the 64-bit lock id of a key and kind.
	 * @param key the backend key
	 * @param kind {@link #MAIN}, {@link #READERS}, {@link #PERMIT_HOLDERS} or {@link #SLOTS}
	 * @return the lock id
	 */
	long id(String key, char kind) {
		try {
			MessageDigest digest = MessageDigest.getInstance("SHA-256");
			digest.update(ByteBuffer.allocate(Long.BYTES + Character.BYTES).putLong(this.namespace).putChar(kind).array());
			digest.update(key.getBytes(StandardCharsets.UTF_8));
			return ByteBuffer.wrap(digest.digest()).getLong();
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is not available", ex);
		}
	}

	/**
	 * Returns the high half of a lock id, as {@code pg_locks.classid} shows it.
	 * @param id the lock id
	 * @return the class id
	 */
	static long classId(long id) {
		return id >>> 32;
	}

	/**
	 * Returns the low half of a lock id, as {@code pg_locks.objid} shows it.
	 * @param id the lock id
	 * @return the object id
	 */
	static long objId(long id) {
		return id & 0xFFFFFFFFL;
	}

}
