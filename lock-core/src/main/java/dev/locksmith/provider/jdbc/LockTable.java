package dev.locksmith.provider.jdbc;

import java.time.Duration;

import dev.locksmith.spi.KeyText;
import dev.locksmith.spi.LeaseRequest;

/**
 * The lock table shared by table mode and advisory mode ({@code schema-<platform>.sql}): its column limits,
 * checked before any SQL runs so that bad input fails at once with an {@link IllegalArgumentException}
 * instead of as a database error.
 */
final class LockTable {

	/**
	 * Characters in {@code lock_key} ({@code VARCHAR(512)}): the whole backend key, the service's key prefix
	 * included, counted in Unicode characters (all supported databases count characters, not bytes).
	 */
	static final int MAX_KEY_CHARS = 512;

	/** Characters in {@code lease_id} ({@code VARCHAR(128)}). */
	static final int MAX_LEASE_ID_CHARS = 128;

	/** Characters in {@code owner} ({@code VARCHAR(255)}). */
	static final int MAX_OWNER_CHARS = 255;

	/**
	 * Characters in {@code metadata} ({@code VARCHAR(4000)}), which holds the map URL-encoded (see
	 * {@link MetadataCodec}): an ASCII letter takes one, a non-ASCII character 6 to 12 (UTF-8 bytes as
	 * {@code %XX}).
	 */
	static final int MAX_METADATA_CHARS = 4000;

	private LockTable() {
	}

	/**
	 * Checks a request against the column limits and its TTL against the 1 ms resolution of the database.
	 * @param request the request
	 * @param method the method to name in the message ({@code JdbcLockProvider.acquire})
	 * @throws IllegalArgumentException naming the limit
	 */
	static void checkRequest(LeaseRequest request, String method) {
		checkKey(request.key(), method);
		checkTtl(request.ttl(), method);
		int leaseId = request.leaseId().length();
		if (leaseId == 0 || leaseId > MAX_LEASE_ID_CHARS) {
			throw new IllegalArgumentException(method + ": lease id must have 1 to " + MAX_LEASE_ID_CHARS
					+ " characters, got " + leaseId);
		}
		int owner = request.owner().codePointCount(0, request.owner().length());
		if (owner > MAX_OWNER_CHARS) {
			throw new IllegalArgumentException(method + ": owner id has " + owner + " characters; the lock table's owner"
					+ " column holds at most " + MAX_OWNER_CHARS);
		}
		int metadata = MetadataCodec.encode(request.metadata()).length();
		if (metadata > MAX_METADATA_CHARS) {
			throw new IllegalArgumentException(method + ": metadata of '" + KeyText.forMessage(request.key())
					+ "' takes " + metadata + " characters URL-encoded; the lock table's metadata column holds at most "
					+ MAX_METADATA_CHARS + " (a non-ASCII character takes 6 to 12)");
		}
	}

	/**
	 * Checks that a key fits the {@code lock_key} column.
	 * @param key the backend key (with the service's key prefix)
	 * @param method the method to name in the message
	 * @return the key
	 * @throws IllegalArgumentException naming the limit
	 */
	static String checkKey(String key, String method) {
		if (key.length() > MAX_KEY_CHARS) {
			int chars = key.codePointCount(0, key.length());
			if (chars > MAX_KEY_CHARS) {
				throw new IllegalArgumentException(method + ": key '" + KeyText.forMessage(key) + "' has " + chars
						+ " characters with its key prefix; the lock table's lock_key column holds at most "
						+ MAX_KEY_CHARS);
			}
		}
		return key;
	}

	/**
	 * Checks that a TTL is at least one millisecond: the database stores expiry in milliseconds, and a
	 * shorter TTL would be truncated to zero (a lease dead on arrival).
	 * @param ttl the TTL
	 * @param method the method to name in the message
	 * @throws IllegalArgumentException if the TTL is shorter than 1 ms
	 */
	static void checkTtl(Duration ttl, String method) {
		if (ttl.toMillis() < 1) {
			throw new IllegalArgumentException(method + ": ttl must be at least 1 ms, got " + ttl);
		}
	}

}
