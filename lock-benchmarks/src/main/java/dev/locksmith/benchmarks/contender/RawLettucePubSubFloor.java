package dev.locksmith.benchmarks.contender;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.locksmith.benchmarks.ContenderNames;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.jspecify.annotations.Nullable;

/**
 * The Redis hand-off floor (S4): raw Lettuce, {@code SET key id NX PX ttl} to acquire, and a release that
 * deletes the key and {@code PUBLISH}es it on one channel in one script (compare-and-delete, then
 * {@code PUBLISH}: one round trip). A waiter is blocked on a message of its key from the instance's one
 * {@code SUBSCRIBE}d connection (subscribed once, at start), then tries {@code SET NX PX} again. Nothing
 * else: no fencing, no renewal, no queue (every waiter of the key is woken), no retry hint. The waiter
 * registers before its try, so a release after the try always wakes it; a 1 s bound on each wait is a
 * safety net that a working run never reaches.
 */
public final class RawLettucePubSubFloor implements Contender {

	private static final String CHANNEL = "bench:floor:releases";

	private static final String RELEASE = """
			if redis.call('get', KEYS[1]) == ARGV[1] then
			  redis.call('del', KEYS[1])
			  redis.call('publish', ARGV[2], KEYS[1])
			  return 1
			end
			return 0""";

	private static final long TTL_MILLIS = 30_000;

	private static final long SAFETY_WAIT_MILLIS = 1_000;

	private final RedisClient client;

	private final StatefulRedisConnection<String, String> connection;

	private final StatefulRedisPubSubConnection<String, String> subscription;

	private final String releaseSha;

	/** Waiters per key: each blocked acquisition's latch, counted down by a release message of its key. */
	private final ConcurrentHashMap<String, Set<CountDownLatch>> waiters = new ConcurrentHashMap<>();

	/**
	 * Connects and subscribes to the release channel (returns once the subscription is confirmed).
	 * @param redisUri Redis URI
	 */
	public RawLettucePubSubFloor(String redisUri) {
		this.client = RedisClient.create(redisUri);
		this.connection = this.client.connect();
		this.releaseSha = this.connection.sync().scriptLoad(RELEASE.getBytes(StandardCharsets.UTF_8));
		this.subscription = this.client.connectPubSub();
		this.subscription.addListener(new RedisPubSubAdapter<>() {

			@Override
			public void message(String channel, String key) {
				Set<CountDownLatch> latches = RawLettucePubSubFloor.this.waiters.get(key);
				if (latches != null) {
					latches.forEach(CountDownLatch::countDown);
				}
			}

		});
		this.subscription.sync().subscribe(CHANNEL);
	}

	@Override
	public String name() {
		return ContenderNames.FLOOR_REDIS_PUBSUB;
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
		RedisCommands<String, String> commands = this.connection.sync();
		String leaseId = UUID.randomUUID().toString();
		long deadline = System.nanoTime() + waitTime.toNanos();
		while (true) {
			CountDownLatch released = new CountDownLatch(1);
			// Added and removed inside compute, so a set emptied by another waiter is never added to.
			this.waiters.compute(key, (k, set) -> {
				Set<CountDownLatch> latches = (set != null) ? set : ConcurrentHashMap.newKeySet();
				latches.add(released);
				return latches;
			});
			try {
				if (commands.set(key, leaseId, SetArgs.Builder.nx().px(TTL_MILLIS)) != null) {
					return () -> commands.evalsha(this.releaseSha, ScriptOutputType.INTEGER, new String[] { key },
							leaseId, CHANNEL);
				}
				long remaining = deadline - System.nanoTime();
				if (remaining <= 0) {
					return null;
				}
				released.await(Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(SAFETY_WAIT_MILLIS)),
						TimeUnit.NANOSECONDS);
			}
			finally {
				this.waiters.computeIfPresent(key, (k, set) -> {
					set.remove(released);
					return set.isEmpty() ? null : set;
				});
			}
		}
	}

	@Override
	public void close() {
		this.subscription.close();
		this.connection.close();
		this.client.shutdown();
	}

}
