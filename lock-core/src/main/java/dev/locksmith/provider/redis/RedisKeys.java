package dev.locksmith.provider.redis;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * Maps a backend key {@code K} to its Redis keys: the lease hash {@code {K}}, the fencing counter
 * {@code {K}:fence}, the wait flag {@code {K}:wait} and the waiters' queue {@code {K}:q} with its entries
 * {@code {K}:qd}. All share the hash tag, so they live in one Redis
 * Cluster slot (unless {@code K}
 * starts with a closing brace, which makes the tag empty).
 */
final class RedisKeys {

	private static final String FENCE_SUFFIX = ":fence";

	private static final String WAIT_SUFFIX = ":wait";

	private static final String QUEUE_SUFFIX = ":q";

	private static final String QUEUE_ENTRIES_SUFFIX = ":qd";

	private RedisKeys() {
	}

	/**
	 * Returns the Redis key of the lease hash.
	 * @param key the backend key
	 * @return {@code {key}}
	 */
	static String leaseKey(String key) {
		return "{" + key + "}";
	}

	/**
	 * Returns the Redis key of the lease hash, encoded.
	 * @param key the backend key
	 * @return the UTF-8 bytes of {@code {key}}
	 */
	static byte[] leaseKeyBytes(String key) {
		return leaseKey(key).getBytes(StandardCharsets.UTF_8);
	}

	/**
	 * Returns the Redis key of the fencing counter, encoded.
	 * @param key the backend key
	 * @return the UTF-8 bytes of {@code {key}:fence}
	 */
	static byte[] fenceKeyBytes(String key) {
		return ("{" + key + "}" + FENCE_SUFFIX).getBytes(StandardCharsets.UTF_8);
	}

	/**
	 * Returns the Redis key of the wait flag, encoded.
	 * @param key the backend key
	 * @return the UTF-8 bytes of {@code {key}:wait}
	 */
	static byte[] waitKeyBytes(String key) {
		return ("{" + key + "}" + WAIT_SUFFIX).getBytes(StandardCharsets.UTF_8);
	}

	/**
	 * Returns the Redis key of the waiters' queue, encoded.
	 * @param key the backend key
	 * @return the UTF-8 bytes of {@code {key}:q}
	 */
	static byte[] queueKeyBytes(String key) {
		return ("{" + key + "}" + QUEUE_SUFFIX).getBytes(StandardCharsets.UTF_8);
	}

	/**
	 * Returns the Redis key of the waiters' queue entries, encoded.
	 * @param key the backend key
	 * @return the UTF-8 bytes of {@code {key}:qd}
	 */
	static byte[] queueEntriesKeyBytes(String key) {
		return ("{" + key + "}" + QUEUE_ENTRIES_SUFFIX).getBytes(StandardCharsets.UTF_8);
	}

	/**
	 * Returns the shard channel of a key's releases on a Redis Cluster: {@code {K}:channel}, which hashes to
	 * the slot of the key's lease hash, so {@code SPUBLISH} on it runs in the key's scripts and only that
	 * slot's master (and its replicas) carries the message.
	 * @param key the backend key
	 * @param channel the provider's release channel name
	 * @return {@code {key}:channel}
	 */
	static String shardChannel(String key, String channel) {
		return "{" + key + "}:" + channel;
	}

	/**
	 * Returns the backend key of a shard channel name made by {@link #shardChannel}.
	 * @param shardChannel the channel name
	 * @param channel the provider's release channel name
	 * @return the backend key, or {@code null} if the name is not such a channel
	 */
	static @Nullable String keyOfShardChannel(String shardChannel, String channel) {
		String suffix = "}:" + channel;
		if (shardChannel.length() < suffix.length() + 1 || shardChannel.charAt(0) != '{'
				|| !shardChannel.endsWith(suffix)) {
			return null;
		}
		return shardChannel.substring(1, shardChannel.length() - suffix.length());
	}

	/**
	 * Returns the {@code SCAN MATCH} pattern for lease hashes whose backend key starts with a prefix.
	 * @param keyPrefix the backend key prefix
	 * @return the glob pattern, with the prefix's glob characters escaped
	 */
	static String scanPattern(String keyPrefix) {
		StringBuilder pattern = new StringBuilder(keyPrefix.length() + 4).append('{');
		for (int i = 0; i < keyPrefix.length(); i++) {
			char c = keyPrefix.charAt(i);
			if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
				pattern.append('\\');
			}
			pattern.append(c);
		}
		return pattern.append("*}").toString();
	}

	/**
	 * Returns the backend key of a lease hash's Redis key.
	 * @param redisKey a key found by {@link #scanPattern}
	 * @return the backend key, or {@code null} if {@code redisKey} is not a lease hash
	 */
	static @Nullable String backendKey(String redisKey) {
		if (redisKey.length() < 2 || redisKey.charAt(0) != '{' || redisKey.charAt(redisKey.length() - 1) != '}') {
			return null;
		}
		return redisKey.substring(1, redisKey.length() - 1);
	}

	/**
	 * Checks a release channel name given to a provider builder (the one rule both Redis builders share).
	 * @param channel the channel name
	 * @return the channel
	 * @throws IllegalArgumentException if blank
	 */
	static String requireChannel(String channel) {
		Objects.requireNonNull(channel, "channel");
		if (channel.isBlank()) {
			throw new IllegalArgumentException("channel must not be blank");
		}
		return channel;
	}

}
