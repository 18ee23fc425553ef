package dev.locksmith.provider.etcd;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.etcd.jetcd.ByteSequence;
import org.jspecify.annotations.Nullable;

import dev.locksmith.LeaseType;

/**
 * The key layout under the provider's namespace {@code ns} (default {@code locksmith/}); {@code K} is the
 * lock's backend key and {@code \0} a NUL byte (so a lock's keys sort together, before any longer lock key
 * that starts with {@code K}):
 * <pre>
 * ns K \0 w           the write lease (mutex or writer); value: {@link LeaseRecord}; attached to its etcd lease
 * ns K \0 r leaseId   one read lease each; attached to its etcd lease
 * ns K \0 p leaseId   one permit lease each (holding one or more permits); attached to its etcd lease
 * ns K \0 g           the shared-grant guard: no etcd lease, empty value, rewritten by every read or permit grant
 * ns \0 base          the fencing-token base of this data set (no etcd lease)
 * ns \0 f K           a wake-up pulse: written with a partial release of permits and deleted at once, so
 *                     that every provider's release watch (which sees deletions only) wakes K's waiters;
 *                     on the permit lease's etcd lease, so a pulse left behind expires with it
 * </pre>
 */
final class EtcdKeys {

	/** The longest lock key accepted, in UTF-8 bytes. */
	static final int MAX_KEY_BYTES = 1024;

	private static final char SEPARATOR = '\0';

	private final String namespace;

	private final ByteSequence base;

	EtcdKeys(String namespace) {
		this.namespace = namespace;
		this.base = bytes(namespace + SEPARATOR + "base");
	}

	String namespace() {
		return this.namespace;
	}

	ByteSequence base() {
		return this.base;
	}

	/** The prefix of every key of lock {@code key}. */
	ByteSequence lockPrefix(String key) {
		return bytes(this.namespace + key + SEPARATOR);
	}

	ByteSequence writeKey(String key) {
		return bytes(this.namespace + key + SEPARATOR + "w");
	}

	ByteSequence guardKey(String key) {
		return bytes(this.namespace + key + SEPARATOR + "g");
	}

	ByteSequence leaseKey(String key, LeaseType type, String leaseId) {
		return switch (type) {
			case WRITE -> writeKey(key);
			case READ -> bytes(this.namespace + key + SEPARATOR + "r" + leaseId);
			case PERMITS -> bytes(this.namespace + key + SEPARATOR + "p" + leaseId);
		};
	}

	/** The wake-up pulse key of lock {@code key} (see the class comment). */
	ByteSequence pulseKey(String key) {
		return bytes(this.namespace + SEPARATOR + "f" + key);
	}

	/**
	 * Returns the lock key of a wake-up pulse key.
	 * @param stored the etcd key
	 * @return the lock key, or {@code null} if {@code stored} is not a pulse key
	 */
	@Nullable String pulsedLockKey(ByteSequence stored) {
		String text = stored.toString(StandardCharsets.UTF_8);
		String prefix = this.namespace + SEPARATOR + "f";
		return (text.startsWith(prefix) && text.length() > prefix.length()) ? text.substring(prefix.length()) : null;
	}

	/** The prefix of all lock keys that start with {@code keyPrefix}. */
	ByteSequence listPrefix(String keyPrefix) {
		return bytes(this.namespace + keyPrefix);
	}

	/**
	 * Splits a stored key into lock key and kind.
	 * @param stored the etcd key
	 * @return the parsed key, or {@code null} if it is not a lease key (the guard, the token base, foreign keys)
	 */
	@Nullable Parsed parse(ByteSequence stored) {
		String text = stored.toString(StandardCharsets.UTF_8);
		if (!text.startsWith(this.namespace)) {
			return null;
		}
		int separator = text.lastIndexOf(SEPARATOR);
		if (separator <= this.namespace.length() || separator + 1 >= text.length()) {
			return null;
		}
		String lockKey = text.substring(this.namespace.length(), separator);
		char kind = text.charAt(separator + 1);
		if (kind != 'w' && kind != 'r' && kind != 'p') {
			return null;
		}
		return new Parsed(lockKey, kind);
	}

	/** The first key after every key that starts with {@code prefix}. */
	static ByteSequence prefixEnd(ByteSequence prefix) {
		byte[] end = prefix.getBytes();
		for (int i = end.length - 1; i >= 0; i--) {
			if (end[i] != (byte) 0xff) {
				end[i]++;
				return ByteSequence.from(Arrays.copyOf(end, i + 1));
			}
		}
		return ByteSequence.from(new byte[] { 0 });
	}

	static ByteSequence bytes(String text) {
		return ByteSequence.from(text, StandardCharsets.UTF_8);
	}

	/**
	 * A parsed lease key.
	 * @param lockKey the lock's backend key
	 * @param kind {@code w}, {@code r} or {@code p}
	 */
	record Parsed(String lockKey, char kind) {
	}

}
