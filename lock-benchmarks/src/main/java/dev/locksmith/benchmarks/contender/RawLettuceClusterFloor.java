package dev.locksmith.benchmarks.contender;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.LongAdder;

import dev.locksmith.benchmarks.ContenderNames;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import org.jspecify.annotations.Nullable;

/**
 * The Redis Cluster floor: {@link RawLettuceFloor}'s {@code SET key id NX PX ttl} and compare-and-delete
 * script on a Lettuce cluster connection (each command routed to its key's master): two round trips per
 * acquire+release and nothing else. With a retry pause it is S6's cluster floor: a waiting acquisition
 * retries {@code SET NX PX} every that many milliseconds.
 */
public final class RawLettuceClusterFloor implements Contender {

	private static final String COMPARE_AND_DELETE = """
			if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0""";

	private static final long TTL_MILLIS = 30_000;

	private final RedisClusterClient client;

	private final StatefulRedisClusterConnection<String, String> connection;

	private final String compareAndDeleteSha;

	private final long retryMillis;

	private final LongAdder attempts = new LongAdder();

	/**
	 * Connects and loads the script on every master.
	 * @param nodeUris the masters' URIs
	 */
	public RawLettuceClusterFloor(List<String> nodeUris) {
		this(nodeUris, 0);
	}

	/**
	 * Connects and loads the script on every master; a waiting acquisition retries {@code SET NX PX} every
	 * {@code retryMillis} (S6's cluster floor).
	 * @param nodeUris the masters' URIs
	 * @param retryMillis pause between tries of a waiting acquisition, or 0 for a floor that cannot wait
	 */
	public RawLettuceClusterFloor(List<String> nodeUris, long retryMillis) {
		this.retryMillis = retryMillis;
		this.client = RedisClusterClient.create(nodeUris.stream().map(RedisURI::create).toList());
		this.connection = this.client.connect();
		String sha = null;
		for (RedisClusterNode node : this.connection.getPartitions()) {
			sha = this.connection.getConnection(node.getNodeId())
				.sync()
				.scriptLoad(COMPARE_AND_DELETE.getBytes(StandardCharsets.UTF_8));
		}
		this.compareAndDeleteSha = sha;
	}

	@Override
	public String name() {
		return (this.retryMillis > 0) ? ContenderNames.FLOOR_REDIS_CLUSTER_RETRY : ContenderNames.FLOOR_REDIS_CLUSTER;
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
		RedisAdvancedClusterCommands<String, String> commands = this.connection.sync();
		String leaseId = UUID.randomUUID().toString();
		long deadline = System.nanoTime() + waitTime.toNanos();
		while (true) {
			this.attempts.increment();
			if (commands.set(key, leaseId, SetArgs.Builder.nx().px(TTL_MILLIS)) != null) {
				break;
			}
			if (this.retryMillis <= 0 || System.nanoTime() - deadline >= 0) {
				return null;
			}
			Thread.sleep(this.retryMillis);
		}
		return () -> commands.evalsha(this.compareAndDeleteSha, ScriptOutputType.INTEGER, new String[] { key }, leaseId);
	}

	@Override
	public void close() {
		this.connection.close();
		this.client.shutdown();
	}

}
