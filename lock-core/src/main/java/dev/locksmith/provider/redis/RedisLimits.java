package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.Map;

import dev.locksmith.spi.KeyText;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.Renewal;

/**
 * The input limits of the Redis providers, checked before anything reaches Redis: a rejected request is
 * bad input ({@link IllegalArgumentException}), never an outage, and is never retried.
 */
final class RedisLimits {

	/** The longest backend key (including the service's key prefix), in UTF-8 bytes. */
	static final int MAX_KEY_BYTES = 1024;

	/** The most metadata per lease: the UTF-8 bytes of all names and values together. */
	static final int MAX_METADATA_BYTES = 4096;

	/** The longest TTL (365 days): far beyond any lock, and far from overflowing Redis or Lua arithmetic. */
	static final Duration MAX_TTL = Duration.ofDays(365);

	/** The longest lease id or owner id, in UTF-8 bytes. */
	static final int MAX_ID_BYTES = 256;

	private RedisLimits() {
	}

	/**
	 * Checks an acquisition: key, TTL (1 ms to 365 days), lease id, owner, permits (1 to the limit) and metadata.
	 * @param request the request
	 * @throws IllegalArgumentException naming the limit that is exceeded
	 */
	static void checkRequest(LeaseRequest request) {
		checkKey("acquire", request.key());
		checkTtl("acquire", request.key(), request.ttl());
		checkId("acquire", "lease id", request.key(), request.leaseId());
		checkId("acquire", "owner", request.key(), request.owner());
		if (request.limit() < 1 || request.permits() < 1 || request.permits() > request.limit()) {
			throw new IllegalArgumentException("Redis acquire of '" + KeyText.forMessage(request.key())
					+ "': permits must be between 1 and the limit, and the limit at least 1, was " + request.permits()
					+ " of " + request.limit());
		}
		long bytes = 0;
		for (Map.Entry<String, String> entry : request.metadata().entrySet()) {
			bytes += utf8Length(entry.getKey()) + utf8Length(entry.getValue());
		}
		if (bytes > MAX_METADATA_BYTES) {
			throw new IllegalArgumentException("Redis acquire of '" + KeyText.forMessage(request.key())
					+ "': metadata must not exceed " + MAX_METADATA_BYTES + " bytes (UTF-8, names and values), was "
					+ bytes);
		}
	}

	/**
	 * Checks the key and lease id of a lease that is released or extended.
	 * @param operation the operation, for the message
	 * @param lease the lease
	 * @throws IllegalArgumentException if the key or lease id is over its limit
	 */
	static void checkLease(String operation, LeaseRef lease) {
		checkKey(operation, lease.key());
		checkId(operation, "lease id", lease.key(), lease.leaseId());
	}

	/**
	 * Checks a renewal: key, lease id and TTL.
	 * @param renewal the renewal
	 * @throws IllegalArgumentException if any is over its limit
	 */
	static void checkRenewal(Renewal renewal) {
		checkLease("renew", renewal.lease());
		checkTtl("renew", renewal.lease().key(), renewal.ttl());
	}

	/**
	 * Checks a key.
	 * @param operation the operation, for the message
	 * @param key the backend key
	 * @throws IllegalArgumentException if longer than {@value #MAX_KEY_BYTES} bytes
	 */
	static void checkKey(String operation, String key) {
		long bytes = utf8Length(key);
		if (bytes > MAX_KEY_BYTES) {
			throw new IllegalArgumentException("Redis " + operation + ": the key must not exceed " + MAX_KEY_BYTES
					+ " bytes (UTF-8, including the key prefix), was " + bytes + " bytes: '" + KeyText.forMessage(key)
					+ "'");
		}
	}

	/**
	 * Checks a TTL.
	 * @param operation the operation, for the message
	 * @param key the backend key, for the message
	 * @param ttl the TTL
	 * @throws IllegalArgumentException if below 1 ms or above 365 days
	 */
	static void checkTtl(String operation, String key, Duration ttl) {
		if (ttl.compareTo(Duration.ofMillis(1)) < 0) {
			throw new IllegalArgumentException("Redis " + operation + " of '" + KeyText.forMessage(key)
					+ "': the TTL must be at least 1 ms, was " + ttl);
		}
		if (ttl.compareTo(MAX_TTL) > 0) {
			throw new IllegalArgumentException("Redis " + operation + " of '" + KeyText.forMessage(key)
					+ "': the TTL must be at most 365 days, was " + ttl);
		}
	}

	private static void checkId(String operation, String what, String key, String id) {
		long bytes = utf8Length(id);
		if (bytes > MAX_ID_BYTES) {
			throw new IllegalArgumentException("Redis " + operation + " of '" + KeyText.forMessage(key) + "': the " + what
					+ " must not exceed " + MAX_ID_BYTES + " bytes (UTF-8), was " + bytes);
		}
	}

	/** The UTF-8 length, counted without encoding (an unpaired surrogate counts 3 bytes, erring long). */
	private static long utf8Length(String text) {
		long bytes = 0;
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (c < 0x80) {
				bytes += 1;
			}
			else if (c < 0x800) {
				bytes += 2;
			}
			else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
				bytes += 4;
				i++;
			}
			else {
				bytes += 3;
			}
		}
		return bytes;
	}

}
