package dev.locksmith.provider.redis;

/**
 * Reads package-private diagnostics of a {@link RedisLockProvider} for tests in other packages and modules
 * (the Boot auto-configuration's tests, through lock-core's test-jar).
 */
public final class RedisLockProviderAccess {

	private RedisLockProviderAccess() {
	}

	/**
	 * Returns whether the provider publishes releases on each key's shard channel (Redis 7 cluster).
	 * @param provider the provider
	 * @return {@code true} with shard channels, {@code false} with the classic channel
	 */
	public static boolean shardedReleases(RedisLockProvider provider) {
		return provider.shardedReleases();
	}

}
