package dev.locksmith.benchmarks.contender;

import dev.locksmith.benchmarks.ContenderNames;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.redisson.Redisson;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * Redisson {@link RLock} with its defaults: lease renewed by the watchdog, waiters woken by pub/sub.
 */
public final class RedissonContender implements Contender {

	private final RedissonClient client;

	private final String name;

	/**
	 * Creates the client.
	 * @param redisUri Redis URI
	 * @param watchdogTimeout lock watchdog timeout (Redisson default 30 s; renewal every third of it)
	 */
	public RedissonContender(String redisUri, Duration watchdogTimeout) {
		this(redisUri, watchdogTimeout, 32);
	}

	/**
	 * Creates the client with a connection pool of the given size (S6 builds sixteen clients).
	 * @param redisUri Redis URI
	 * @param watchdogTimeout lock watchdog timeout
	 * @param poolSize connection pool size (half of it kept idle)
	 */
	public RedissonContender(String redisUri, Duration watchdogTimeout, int poolSize) {
		Config config = new Config();
		config.setLockWatchdogTimeout(watchdogTimeout.toMillis());
		config.useSingleServer()
			.setAddress(redisUri)
			.setConnectionPoolSize(poolSize)
			.setConnectionMinimumIdleSize(Math.max(1, poolSize / 2));
		this.client = Redisson.create(config);
		this.name = ContenderNames.REDISSON;
	}

	private RedissonContender(Config config, String name) {
		this.client = Redisson.create(config);
		this.name = name;
	}

	/**
	 * Creates a client of a Redis Cluster, with the same pool sizes per master as the single-server one.
	 * @param nodeUris the masters' URIs
	 * @return the contender
	 */
	public static RedissonContender cluster(java.util.List<String> nodeUris) {
		return cluster(nodeUris, 32);
	}

	/**
	 * Creates a client of a Redis Cluster with a connection pool of the given size per master (S6 builds
	 * sixteen clients).
	 * @param nodeUris the masters' URIs
	 * @param poolSize connection pool size per master (half of it kept idle)
	 * @return the contender
	 */
	public static RedissonContender cluster(java.util.List<String> nodeUris, int poolSize) {
		Config config = new Config();
		config.useClusterServers()
			.addNodeAddress(nodeUris.toArray(String[]::new))
			.setMasterConnectionPoolSize(poolSize)
			.setMasterConnectionMinimumIdleSize(Math.max(1, poolSize / 2));
		return new RedissonContender(config, ContenderNames.REDISSON_CLUSTER);
	}

	@Override
	public String name() {
		return this.name;
	}

	@Override
	public String backend() {
		return "redis";
	}

	@Override
	public boolean canWait() {
		return true;
	}

	@Override
	public @Nullable Held acquire(String key, Duration waitTime) throws InterruptedException {
		RLock lock = this.client.getLock(key);
		if (!lock.tryLock(waitTime.toMillis(), TimeUnit.MILLISECONDS)) {
			return null;
		}
		return lock::unlock;
	}

	@Override
	public void close() {
		this.client.shutdown();
	}

}
