package dev.locksmith.benchmarks.contender;

import dev.locksmith.benchmarks.ContenderNames;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.jspecify.annotations.Nullable;

/**
 * The Redis floor: a raw Lettuce connection doing {@code SET key id NX PX ttl} and a compare-and-delete
 * script, two round trips per acquire+release and nothing else (no fencing, no renewal, no waiting).
 */
public final class RawLettuceFloor implements Contender {

	private static final String COMPARE_AND_DELETE = """
			if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0""";

	private static final long TTL_MILLIS = 30_000;

	private final RedisClient client;

	private final StatefulRedisConnection<String, String> connection;

	private final String compareAndDeleteSha;

	private final long retryMillis;

	private final java.util.concurrent.atomic.LongAdder attempts = new java.util.concurrent.atomic.LongAdder();

	/**
	 * Connects.
	 * @param redisUri Redis URI
	 */
	public RawLettuceFloor(String redisUri) {
		this(redisUri, 0);
	}

	/**
	 * Connects; a waiting acquisition retries {@code SET NX PX} every {@code retryMillis} (S6's floor).
	 * @param redisUri Redis URI
	 * @param retryMillis pause between tries of a waiting acquisition, or 0 for a floor that cannot wait
	 */
	public RawLettuceFloor(String redisUri, long retryMillis) {
		this.retryMillis = retryMillis;
		this.client = RedisClient.create(redisUri);
		this.connection = this.client.connect();
		this.compareAndDeleteSha = this.connection.sync().scriptLoad(COMPARE_AND_DELETE.getBytes(StandardCharsets.UTF_8));
	}

	@Override
	public String name() {
		return (this.retryMillis > 0) ? ContenderNames.FLOOR_REDIS_RETRY : ContenderNames.FLOOR_REDIS;
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
		RedisCommands<String, String> commands = this.connection.sync();
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
