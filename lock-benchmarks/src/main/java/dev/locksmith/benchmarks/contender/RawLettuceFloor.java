package dev.locksmith.benchmarks.contender;

import dev.locksmith.benchmarks.ContenderNames;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.LongAdder;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import org.jspecify.annotations.Nullable;

/**
 * The Redis floor: a raw Lettuce connection doing {@code SET key id NX PX ttl} and a compare-and-delete
 * script, two round trips per acquire+release and nothing else (no fencing, no renewal, no waiting). With a
 * retry pause it is S6's floor: a waiting acquisition retries {@code SET NX PX} every that many milliseconds.
 * The same on a Lettuce cluster connection (each command routed to its key's master) is the Redis Cluster
 * floor ({@link #cluster}).
 */
public final class RawLettuceFloor implements Contender {

	private static final String COMPARE_AND_DELETE = """
			if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0""";

	private static final long TTL_MILLIS = 30_000;

	private final String name;

	private final AbstractRedisClient client;

	private final StatefulConnection<String, String> connection;

	private final RedisClusterCommands<String, String> commands;

	private final String compareAndDeleteSha;

	private final long retryMillis;

	private final LongAdder attempts = new LongAdder();

	private RawLettuceFloor(String name, AbstractRedisClient client, StatefulConnection<String, String> connection,
			RedisClusterCommands<String, String> commands, String compareAndDeleteSha, long retryMillis) {
		this.name = name;
		this.client = client;
		this.connection = connection;
		this.commands = commands;
		this.compareAndDeleteSha = compareAndDeleteSha;
		this.retryMillis = retryMillis;
	}

	/**
	 * Connects to one Redis server; the floor cannot wait.
	 * @param redisUri Redis URI
	 * @return the floor
	 */
	public static RawLettuceFloor standalone(String redisUri) {
		return standalone(redisUri, 0);
	}

	/**
	 * Connects to one Redis server; a waiting acquisition retries {@code SET NX PX} every {@code retryMillis}
	 * (S6's floor).
	 * @param redisUri Redis URI
	 * @param retryMillis pause between tries of a waiting acquisition, or 0 for a floor that cannot wait
	 * @return the floor
	 */
	public static RawLettuceFloor standalone(String redisUri, long retryMillis) {
		RedisClient client = RedisClient.create(redisUri);
		StatefulRedisConnection<String, String> connection = client.connect();
		String sha = connection.sync().scriptLoad(COMPARE_AND_DELETE.getBytes(StandardCharsets.UTF_8));
		String name = (retryMillis > 0) ? ContenderNames.FLOOR_REDIS_RETRY : ContenderNames.FLOOR_REDIS;
		return new RawLettuceFloor(name, client, connection, connection.sync(), sha, retryMillis);
	}

	/**
	 * Connects to a Redis Cluster and loads the script on every master; the floor cannot wait.
	 * @param nodeUris the masters' URIs
	 * @return the floor
	 */
	public static RawLettuceFloor cluster(List<String> nodeUris) {
		return cluster(nodeUris, 0);
	}

	/**
	 * Connects to a Redis Cluster and loads the script on every master; a waiting acquisition retries
	 * {@code SET NX PX} every {@code retryMillis} (S6's cluster floor).
	 * @param nodeUris the masters' URIs
	 * @param retryMillis pause between tries of a waiting acquisition, or 0 for a floor that cannot wait
	 * @return the floor
	 */
	public static RawLettuceFloor cluster(List<String> nodeUris, long retryMillis) {
		RedisClusterClient client = RedisClusterClient.create(nodeUris.stream().map(RedisURI::create).toList());
		StatefulRedisClusterConnection<String, String> connection = client.connect();
		String sha = null;
		for (RedisClusterNode node : connection.getPartitions()) {
			sha = connection.getConnection(node.getNodeId())
				.sync()
				.scriptLoad(COMPARE_AND_DELETE.getBytes(StandardCharsets.UTF_8));
		}
		String name = (retryMillis > 0) ? ContenderNames.FLOOR_REDIS_CLUSTER_RETRY : ContenderNames.FLOOR_REDIS_CLUSTER;
		return new RawLettuceFloor(name, client, connection, connection.sync(), sha, retryMillis);
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
		return this.retryMillis > 0;
	}

	@Override
	public long acquireAttempts() {
		return this.attempts.sum();
	}

	@Override
	public @Nullable Held acquire(String key, Duration waitTime) throws InterruptedException {
		String leaseId = UUID.randomUUID().toString();
		long deadline = System.nanoTime() + waitTime.toNanos();
		while (true) {
			this.attempts.increment();
			if (this.commands.set(key, leaseId, SetArgs.Builder.nx().px(TTL_MILLIS)) != null) {
				break;
			}
			if (this.retryMillis <= 0 || System.nanoTime() - deadline >= 0) {
				return null;
			}
			Thread.sleep(this.retryMillis);
		}
		return () -> this.commands.evalsha(this.compareAndDeleteSha, ScriptOutputType.INTEGER, new String[] { key }, leaseId);
	}

	@Override
	public void close() {
		this.connection.close();
		this.client.shutdown();
	}

}
