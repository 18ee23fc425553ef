package dev.locksmith.provider.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;

import dev.locksmith.LeaseInfo;
import dev.locksmith.LockProviderUnavailableException;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.KeyText;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.Renewal;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.core.NestedExceptionUtils;
import org.springframework.dao.DataAccessException;
import org.springframework.data.redis.connection.ClusterSlotHashUtil;
import org.springframework.data.redis.connection.RedisClusterConnection;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.ReturnType;
import org.springframework.data.redis.core.Cursor;
import org.springframework.data.redis.core.ScanOptions;
import org.springframework.util.ClassUtils;

/**
 * The lease operations against one Redis server (or one cluster), each one script and one round trip.
 * Shared by the single-server provider and by each node of the Redlock provider. Thread-safe.
 */
final class RedisLeaseNode {

	/** Most leases renewed by one script call, so one call never blocks the server for long. */
	static final int RENEW_CHUNK = 1000;

	/**
	 * The reply of a call a cluster master refused with {@code TRYAGAIN}: its keys are split between two
	 * masters while their slot moves, so the call did not run.
	 */
	static final Object TRY_AGAIN = new Object();

	private static final Logger logger = LoggerFactory.getLogger(RedisLeaseNode.class);

	private static final byte[] ONE = { '1' };

	private static final byte[] ZERO = { '0' };

	private static final boolean LETTUCE_PRESENT = ClassUtils.isPresent("io.lettuce.core.RedisFuture",
			RedisLeaseNode.class.getClassLoader());

	private final RedisConnectionFactory connectionFactory;

	private final String channel;

	private final byte[] channelBytes;

	/** Whether releases publish on the key's shard channel ({@code SPUBLISH}, Redis Cluster). */
	private final boolean sharded;

	private volatile @Nullable CachedTail cachedTail;

	RedisLeaseNode(RedisConnectionFactory connectionFactory, String channel) {
		this(connectionFactory, channel, false);
	}

	/**
	 * Creates the operations of one server or cluster.
	 * @param connectionFactory the connection factory
	 * @param channel the release channel
	 * @param sharded whether releases publish on each key's shard channel ({@code SPUBLISH}) instead of the
	 * classic channel
	 */
	RedisLeaseNode(RedisConnectionFactory connectionFactory, String channel, boolean sharded) {
		this.connectionFactory = connectionFactory;
		this.channel = channel;
		this.channelBytes = bytes(channel);
		this.sharded = sharded;
	}

	/** The channel a release of {@code key} publishes on, and the sharded flag, as script arguments. */
	private byte[] releaseChannel(String key) {
		return this.sharded ? bytes(RedisKeys.shardChannel(key, this.channel)) : this.channelBytes;
	}

	private byte[] shardedFlag() {
		return this.sharded ? ONE : ZERO;
	}

	/**
	 * Tries to take a lease. With replica confirmation, the script and the {@code WAIT} run on a dedicated
	 * connection of {@code replicaWait}; a grant the replicas do not confirm is released again and reported
	 * as denied. A re-sent request (same lease id, lease still live) returns the existing grant with its
	 * token and sets its expiry to now + ttl.
	 * @param request the lease to take
	 * @param replicaWait the replica confirmation, or {@code null} for none
	 * @param waits whether this attempt belongs to a waiting acquisition (a denied write attempt is then
	 * queued, see {@link LeaseScripts})
	 * @return the grant or denial
	 */
	Grant acquire(LeaseRequest request, @Nullable ReplicaWait replicaWait, boolean waits) {
		String key = request.key();
		byte[] permits = (request.permits() == 1) ? ONE : bytes(Integer.toString(request.permits()));
		byte[] limit = (request.limit() == 1) ? ONE : bytes(Integer.toString(request.limit()));
		byte[] leaseId = bytes(request.leaseId());
		Function<RedisConnection, Grant> action = (connection) -> {
			Long reply = LeaseScripts.ACQUIRE.run(connection, ReturnType.INTEGER, 5, RedisKeys.leaseKeyBytes(key),
					RedisKeys.fenceKeyBytes(key), RedisKeys.waitKeyBytes(key), RedisKeys.queueKeyBytes(key),
					RedisKeys.queueEntriesKeyBytes(key), leaseId, bytes(LeaseCodec.typeCode(request.type())),
					bytes(Long.toString(millis(request.ttl()))), permits, limit, tail(request.owner(), request.metadata()),
					waits ? ONE : ZERO, releaseChannel(key), bytes(key), shardedFlag());
			long result = (reply != null) ? reply : -1;
			if (result < 0) {
				return Grant.denied(Duration.ofMillis(-1 - result));
			}
			if (replicaWait != null && !confirmedOrReleased(replicaWait, connection, key, leaseId)) {
				release(connection, key, leaseId);
				return Grant.denied(null);
			}
			return Grant.granted(result);
		};
		if (replicaWait == null) {
			return execute(key, "acquire", action);
		}
		return execute(key, "acquire", (unused) -> replicaWait.run(action));
	}

	/**
	 * Waits for the replicas to confirm a grant. When the wait itself fails, the grant is released (best
	 * effort, on the application's connection, since the dedicated one may be broken) before the error
	 * propagates: the caller learns nothing but an error, so it must not be left holding a lease it does
	 * not know about.
	 */
	private boolean confirmedOrReleased(ReplicaWait replicaWait, RedisConnection connection, String key,
			byte[] leaseId) {
		try {
			return replicaWait.confirmed(connection);
		}
		catch (RuntimeException ex) {
			try (RedisConnection shared = this.connectionFactory.getConnection()) {
				release(shared, key, leaseId);
			}
			catch (RuntimeException releaseFailure) {
				ex.addSuppressed(releaseFailure);
			}
			throw ex;
		}
	}

	private void release(RedisConnection connection, String key, byte[] leaseId) {
		runRelease(connection, key, leaseId);
	}

	/**
	 * Releases a lease if it is live and publishes the release.
	 * @param lease the lease
	 * @return whether it was live
	 */
	boolean release(LeaseRef lease) {
		String key = lease.key();
		return execute(key, "release", (connection) -> {
			Long reply = runRelease(connection, key, bytes(lease.leaseId()));
			return reply != null && reply == 1;
		});
	}

	/**
	 * Lowers a live permit lease to {@code permits} and publishes the freed permits.
	 * @param lease the lease
	 * @param permits the permits it keeps
	 * @return whether it was live
	 */
	boolean reducePermits(LeaseRef lease, int permits) {
		String key = lease.key();
		return execute(key, "reducePermits", (connection) -> {
			Long reply = LeaseScripts.REDUCE_PERMITS.run(connection, ReturnType.INTEGER, 2,
					RedisKeys.leaseKeyBytes(key), RedisKeys.waitKeyBytes(key), bytes(lease.leaseId()),
					bytes(Integer.toString(permits)), releaseChannel(key), bytes(key), shardedFlag());
			return reply != null && reply == 1;
		});
	}

	private @Nullable Long runRelease(RedisConnection connection, String key, byte[] leaseId) {
		try {
			return LeaseScripts.RELEASE.run(connection, ReturnType.INTEGER, 5, RedisKeys.leaseKeyBytes(key),
					RedisKeys.waitKeyBytes(key), RedisKeys.fenceKeyBytes(key), RedisKeys.queueKeyBytes(key),
					RedisKeys.queueEntriesKeyBytes(key), leaseId, releaseChannel(key), bytes(key), shardedFlag());
		}
		catch (RuntimeException ex) {
			if (!isTryAgain(ex)) {
				throw ex;
			}
			// the slot is half moved and the queue's keys are not with the lease: release without a hand-off
			return LeaseScripts.RELEASE_UNQUEUED.run(connection, ReturnType.INTEGER, 2, RedisKeys.leaseKeyBytes(key),
					RedisKeys.waitKeyBytes(key), leaseId, releaseChannel(key), bytes(key), shardedFlag());
		}
	}

	/**
	 * Extends leases: one script call per {@value #RENEW_CHUNK} leases (so no single call blocks the server
	 * for long), and on a cluster one per hash slot (a script may only touch keys of one slot). With Lettuce,
	 * all calls are written before any reply is awaited: one round trip on one server, and on a cluster one
	 * pipeline per node (Lettuce routes each call to its slot's master and follows MOVED/ASK). Without
	 * Lettuce they are sent one after the other. A call a cluster master refuses with {@code TRYAGAIN} (its
	 * slot is half moved, so its keys are on two masters) is re-sent as one call per lease.
	 * @param renewals the leases and their new TTLs
	 * @return for each renewal, in order, whether it was live and is now extended
	 */
	boolean[] extend(List<Renewal> renewals) {
		boolean[] extended = new boolean[renewals.size()];
		if (renewals.isEmpty()) {
			return extended;
		}
		String description = (renewals.size() == 1) ? renewals.get(0).lease().key()
				: renewals.size() + " leases (first " + KeyText.forMessage(renewals.get(0).lease().key()) + ")";
		return execute(description, "renew", (connection) -> {
			List<List<Integer>> batches = batches(connection, renewals);
			List<byte[][]> arguments = new ArrayList<>(batches.size());
			for (List<Integer> batch : batches) {
				arguments.add(extendArguments(renewals, batch));
			}
			List<Object> replies = null;
			if (batches.size() > 1 && LETTUCE_PRESENT) {
				int[] keyCounts = batches.stream().mapToInt(List::size).toArray();
				replies = LettuceScriptPipeline.evalAll(connection, LeaseScripts.EXTEND, arguments, keyCounts,
						LettuceScriptPipeline.timeoutMillis(this.connectionFactory));
			}
			for (int b = 0; b < batches.size(); b++) {
				List<Integer> batch = batches.get(b);
				Object reply = (replies != null) ? replies.get(b) : extendOrTryAgain(connection, batch, arguments.get(b));
				if (reply == TRY_AGAIN) {
					// the slot is half moved: one lease per call, each routed to the master that has its key
					for (int index : batch) {
						Object single = LeaseScripts.EXTEND.run(connection, ReturnType.MULTI, 1,
								extendArguments(renewals, List.of(index)));
						extended[index] = single instanceof List<?> flags && Long.valueOf(1).equals(flags.get(0));
					}
					continue;
				}
				for (int i = 0; i < batch.size(); i++) {
					extended[batch.get(i)] = reply instanceof List<?> flags && Long.valueOf(1).equals(flags.get(i));
				}
			}
			return extended;
		});
	}

	/**
	 * Returns whether an error is a cluster master's {@code TRYAGAIN} (a multi-key call while the keys' slot
	 * is half moved; nothing ran).
	 * @param error the error or one of its causes
	 * @return {@code true} for {@code TRYAGAIN}
	 */
	static boolean isTryAgain(@Nullable Throwable error) {
		for (Throwable t = error; t != null; t = (t.getCause() == t) ? null : t.getCause()) {
			String message = t.getMessage();
			if (message != null && message.startsWith("TRYAGAIN")) {
				return true;
			}
		}
		return false;
	}

	private static @Nullable Object extendOrTryAgain(RedisConnection connection, List<Integer> batch,
			byte[][] arguments) {
		try {
			return LeaseScripts.EXTEND.run(connection, ReturnType.MULTI, batch.size(), arguments);
		}
		catch (RuntimeException ex) {
			if (batch.size() > 1 && isTryAgain(ex)) {
				return TRY_AGAIN;
			}
			throw ex;
		}
	}

	private static byte[][] extendArguments(List<Renewal> renewals, List<Integer> batch) {
		byte[][] keysAndArgs = new byte[batch.size() * 3][];
		for (int i = 0; i < batch.size(); i++) {
			Renewal renewal = renewals.get(batch.get(i));
			keysAndArgs[i] = RedisKeys.leaseKeyBytes(renewal.lease().key());
			keysAndArgs[batch.size() + 2 * i] = bytes(renewal.lease().leaseId());
			keysAndArgs[batch.size() + 2 * i + 1] = bytes(Long.toString(millis(renewal.ttl())));
		}
		return keysAndArgs;
	}

	/**
	 * Reads the live leases of a key, oldest grant first.
	 * @param key the backend key
	 * @return the live leases
	 */
	List<LeaseInfo> inspect(String key) {
		return execute(key, "inspect", (connection) -> {
			List<Object> reply = LeaseScripts.INSPECT.run(connection, ReturnType.MULTI, 1,
					RedisKeys.leaseKeyBytes(key));
			List<LeaseInfo> leases = new ArrayList<>();
			if (reply != null) {
				for (int i = 1; i + 1 < reply.size(); i += 2) {
					leases.add(LeaseCodec.decode(string(reply.get(i)), string(reply.get(i + 1))));
				}
			}
			leases.sort((a, b) -> Long.compare(a.fencingToken(), b.fencingToken()));
			return leases;
		});
	}

	/**
	 * Finds the backend keys of every lease hash whose backend key starts with {@code keyPrefix}.
	 * @param keyPrefix the prefix
	 * @return the backend keys, unordered, possibly including keys whose leases just expired
	 */
	List<String> scan(String keyPrefix) {
		return execute(keyPrefix + "*", "list", (connection) -> {
			List<String> keys = new ArrayList<>();
			ScanOptions options = ScanOptions.scanOptions().match(RedisKeys.scanPattern(keyPrefix)).count(1000).build();
			try (Cursor<byte[]> cursor = connection.keyCommands().scan(options)) {
				while (cursor.hasNext()) {
					String backendKey = RedisKeys.backendKey(string(cursor.next()));
					if (backendKey != null && backendKey.startsWith(keyPrefix)) {
						keys.add(backendKey);
					}
				}
			}
			return keys;
		});
	}

	/**
	 * Deletes every lease of a key (keeping its fencing counter) and publishes the release.
	 * @param key the backend key
	 * @return whether any lease was live
	 */
	boolean forceRelease(String key) {
		return execute(key, "force-release", (connection) -> {
			Long reply = LeaseScripts.FORCE_RELEASE.run(connection, ReturnType.INTEGER, 4,
					RedisKeys.leaseKeyBytes(key), RedisKeys.fenceKeyBytes(key), RedisKeys.queueKeyBytes(key),
					RedisKeys.queueEntriesKeyBytes(key), releaseChannel(key), bytes(key), shardedFlag());
			return reply != null && reply == 1;
		});
	}

	/**
	 * Logs a warning when the server may evict keys under memory pressure ({@code maxmemory-policy} other
	 * than {@code noeviction}): an evicted lease hash frees a lock while its holder still holds it. A server
	 * that does not answer or has {@code CONFIG} disabled is only noted at debug level.
	 */
	void warnIfKeysMayBeEvicted() {
		try (RedisConnection connection = this.connectionFactory.getConnection()) {
			Properties config = connection.serverCommands().getConfig("maxmemory-policy");
			for (String name : config.stringPropertyNames()) {
				String policy = config.getProperty(name);
				if (name.endsWith("maxmemory-policy") && !"noeviction".equalsIgnoreCase(policy)) {
					logger.warn("Redis{} has maxmemory-policy {}: under memory pressure it may evict a lock's keys, "
							+ "which frees the lock while its holder still holds it; set maxmemory-policy noeviction "
							+ "on servers that hold locks", name.equals("maxmemory-policy") ? "" : " (" + name + ")", policy);
				}
			}
		}
		catch (RuntimeException ex) {
			logger.debug("Could not read the Redis maxmemory-policy (CONFIG GET may be disabled): {}", ex.getMessage());
		}
	}

	/**
	 * Returns the lowest major version among the servers behind the factory (every master of a cluster),
	 * from {@code INFO server}, or -1 when it cannot be read.
	 * @return the lowest {@code redis_version} major, or -1
	 */
	int lowestMajorVersion() {
		try (RedisConnection connection = this.connectionFactory.getConnection()) {
			Properties info = connection.serverCommands().info("server");
			int lowest = Integer.MAX_VALUE;
			for (String name : (info != null) ? info.stringPropertyNames() : Set.<String>of()) {
				if (name.endsWith("redis_version")) {
					String version = info.getProperty(name).trim();
					int dot = version.indexOf('.');
					lowest = Math.min(lowest, Integer.parseInt((dot > 0) ? version.substring(0, dot) : version));
				}
			}
			return (lowest == Integer.MAX_VALUE) ? -1 : lowest;
		}
		catch (RuntimeException ex) {
			logger.debug("Could not read the Redis version: {}", ex.getMessage());
			return -1;
		}
	}

	/**
	 * Checks that the server answers.
	 */
	void ping() {
		execute("ping", "ping", RedisConnection::ping);
	}

	private List<List<Integer>> batches(RedisConnection connection, List<Renewal> renewals) {
		Map<Integer, List<Integer>> bySlot = new LinkedHashMap<>();
		boolean cluster = connection instanceof RedisClusterConnection;
		List<List<Integer>> batches = new ArrayList<>();
		for (int i = 0; i < renewals.size(); i++) {
			int slot = cluster ? ClusterSlotHashUtil.calculateSlot(RedisKeys.leaseKey(renewals.get(i).lease().key())) : 0;
			List<Integer> batch = bySlot.computeIfAbsent(slot, (s) -> new ArrayList<>());
			batch.add(i);
			if (batch.size() == RENEW_CHUNK) {
				batches.add(batch);
				bySlot.remove(slot);
			}
		}
		batches.addAll(bySlot.values());
		return batches;
	}

	private <T> T execute(String key, String operation, Function<RedisConnection, T> action) {
		try (RedisConnection connection = this.connectionFactory.getConnection()) {
			return action.apply(connection);
		}
		catch (DataAccessException | IllegalStateException ex) {
			throw new LockProviderUnavailableException(key,
					"Redis " + operation + " of '" + KeyText.forMessage(key) + "' failed: " + describe(ex), ex);
		}
	}

	/**
	 * Returns an error's message followed by its root cause's when that says more: Spring Data reports a
	 * failed script as "Error in execution", and only the server's reply (such as {@code TRYAGAIN} while a
	 * cluster slot moves) tells why.
	 */
	private static @Nullable String describe(RuntimeException ex) {
		Throwable root = NestedExceptionUtils.getMostSpecificCause(ex);
		String message = ex.getMessage();
		String rootMessage = root.getMessage();
		if (root == ex || rootMessage == null || (message != null && message.contains(rootMessage))) {
			return message;
		}
		return message + ": " + rootMessage;
	}

	private byte[] tail(String owner, Map<String, String> metadata) {
		if (!metadata.isEmpty()) {
			return bytes(LeaseCodec.encodeTail(owner, metadata));
		}
		CachedTail cached = this.cachedTail;
		if (cached == null || !cached.owner.equals(owner)) {
			cached = new CachedTail(owner, bytes(LeaseCodec.encodeTail(owner, metadata)));
			this.cachedTail = cached;
		}
		return cached.encoded;
	}

	private static long millis(Duration ttl) {
		return Math.max(1, ttl.toMillis());
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	private static String string(Object reply) {
		return (reply instanceof byte[] raw) ? new String(raw, StandardCharsets.UTF_8) : String.valueOf(reply);
	}

	private record CachedTail(String owner, byte[] encoded) {
	}

}
