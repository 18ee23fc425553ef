package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import dev.locksmith.LeaseType;
import dev.locksmith.LockInfo;
import dev.locksmith.LockPage;
import dev.locksmith.provider.support.ReleaseSignals;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.spi.ReleaseSubscription;
import dev.locksmith.spi.Renewal;
import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.util.ClassUtils;

/**
 * A {@link LockProvider} on one Redis server, a primary with replicas, or a Redis Cluster, through Spring
 * Data Redis (Lettuce recommended, see {@link RedisClientSettings}).
 *
 * <p>Every operation is one atomic Lua script and one round trip ({@code EVALSHA}): acquire checks the
 * live leases, issues the fencing token and stores the lease with its expiry computed from the server's
 * {@code TIME}; release and extend act only on the exact lease id; release publishes the key on the
 * release channel. Renewal extends many leases with one script call. Waiters are woken through one
 * pub/sub subscription per provider; on a Redis Cluster (Redis 7+, Lettuce) through sharded pub/sub
 * instead: each release {@code SPUBLISH}es on its key's shard channel and waiters subscribe to the shard
 * channels of the keys they wait for (see {@link Builder#shardedReleases(boolean)}). See
 * {@link LeaseScripts} for the data layout and the fencing guarantee.
 *
 * <p>Acquisition is idempotent per lease id: a request re-sent after a lost reply returns the existing
 * grant with its fencing token and sets its expiry to now + ttl, taking nothing twice. Keys over
 * {@value RedisLimits#MAX_KEY_BYTES} bytes, metadata over {@value RedisLimits#MAX_METADATA_BYTES} bytes and
 * TTLs under 1 ms are rejected with {@link IllegalArgumentException} before anything reaches Redis. At
 * start the provider warns once when the server's {@code maxmemory-policy} is not {@code noeviction}.
 *
 * <p>With {@link Builder#minReplicas(int) minReplicas} set, a grant is confirmed with {@code WAIT}, which
 * runs on a dedicated connection (never the application's shared one, which it would block); when
 * fewer replicas confirm within {@link Builder#replicaTimeout(Duration) replicaTimeout} the lease is
 * released again and the attempt reports "not acquired". This narrows, but does not close, the window
 * in which a failover loses a lease.
 *
 * <p>Thread-safe. {@link #close()} stops the subscription; it does not close the connection factory.
 */
public final class RedisLockProvider implements LockProvider {

	/** The default pub/sub channel on which releases are published. */
	public static final String DEFAULT_CHANNEL = "locksmith:releases";

	private static final boolean LETTUCE_PRESENT = ClassUtils.isPresent("io.lettuce.core.cluster.RedisClusterClient",
			RedisLockProvider.class.getClassLoader());

	private final RedisLeaseNode node;

	private final ReleaseSignals signals = new ReleaseSignals();

	/** The classic channel's subscription; {@code null} when releases use shard channels. */
	private final @Nullable RedisReleaseListener listener;

	/** The shard channels' subscriptions on a Redis Cluster; {@code null} when releases use the classic channel. */
	private final @Nullable RedisShardedReleaseListener shardedListener;

	private final QueuedWaiters queued;

	private final int minReplicas;

	private final @Nullable ReplicaWait replicaWait;

	private final KeyListing listing = new KeyListing();

	private RedisLockProvider(Builder builder) {
		boolean sharded = builder.shardedReleases && LETTUCE_PRESENT
				&& RedisShardedReleaseListener.supports(builder.connectionFactory)
				&& supportsShardedPubSub(new RedisLeaseNode(builder.connectionFactory, builder.channel).lowestMajorVersion());
		this.node = new RedisLeaseNode(builder.connectionFactory, builder.channel, sharded);
		this.minReplicas = builder.minReplicas;
		this.replicaWait = (builder.minReplicas > 0)
				? new ReplicaWait(builder.connectionFactory, builder.minReplicas, builder.replicaTimeout) : null;
		this.node.warnIfKeysMayBeEvicted();
		this.queued = new QueuedWaiters(this::subscribe, this.node::release);
		if (sharded) {
			this.listener = null;
			this.shardedListener = RedisShardedReleaseListener.create(builder.connectionFactory, builder.channel,
					this.signals, this.queued::onMessage);
		}
		else {
			this.shardedListener = null;
			this.listener = new RedisReleaseListener(builder.connectionFactory, builder.channel, this.signals,
					this.queued::onMessage);
			this.listener.start();
		}
	}

	/**
	 * Sharded pub/sub needs Redis 7 on every master. A version that could not be read (no master reachable
	 * at start) counts as supported: the release script then tolerates a server that lacks {@code SPUBLISH}.
	 */
	private static boolean supportsShardedPubSub(int lowestMajorVersion) {
		return lowestMajorVersion < 0 || lowestMajorVersion >= 7;
	}

	/**
	 * Starts a builder.
	 * @param connectionFactory the connection factory (its lifecycle stays with the caller)
	 * @return the builder
	 */
	public static Builder builder(RedisConnectionFactory connectionFactory) {
		return new Builder(connectionFactory);
	}

	/**
	 * Returns {@code redis}.
	 * @return the provider name
	 */
	@Override
	public String name() {
		return "redis";
	}

	@Override
	public Grant acquire(LeaseRequest request) {
		RedisLimits.checkRequest(request);
		Grant grant = this.node.acquire(request, this.replicaWait, this.queued.waits(request));
		if (grant.isGranted()) {
			this.queued.granted(request);
		}
		return grant;
	}

	@Override
	public boolean release(LeaseRef lease) {
		RedisLimits.checkLease("release", lease);
		return this.node.release(lease);
	}

	@Override
	public boolean reducePermits(LeaseRef lease, int permits) {
		LockProvider.checkReducePermits("RedisLockProvider.reducePermits", lease, permits);
		RedisLimits.checkLease("reducePermits", lease);
		return this.node.reducePermits(lease, permits);
	}

	@Override
	public boolean extend(LeaseRef lease, Duration ttl) {
		RedisLimits.checkLease("extend", lease);
		RedisLimits.checkTtl("extend", lease.key(), ttl);
		return this.node.extend(List.of(new Renewal(lease, ttl)))[0];
	}

	/**
	 * Extends all leases with one script call per 1,000 leases (on a Redis
	 * Cluster: one call per hash slot).
	 * @param renewals the leases and their new TTLs
	 * @return the leases that were live and are now extended
	 */
	@Override
	public Set<LeaseRef> renew(List<Renewal> renewals) {
		renewals.forEach(RedisLimits::checkRenewal);
		boolean[] extended = this.node.extend(renewals);
		Set<LeaseRef> result = new HashSet<>();
		for (int i = 0; i < extended.length; i++) {
			if (extended[i]) {
				result.add(renewals.get(i).lease());
			}
		}
		return result;
	}

	@Override
	public LockInfo inspect(String key) {
		RedisLimits.checkKey("inspect", key);
		return LockInfo.of(key, this.node.inspect(key));
	}

	/**
	 * Lists held keys with {@code SCAN} over the lease hashes. The page is ordered by key; the total counts
	 * the lease hashes found, so it may briefly include a key whose last lease expired a moment ago. A walk
	 * over all keys in chunks scans once: pages after the first reuse its scan, from which keys found free
	 * are dropped so pages never overlap (see {@link KeyListing}).
	 * @param keyPrefix the prefix every listed key starts with (may be empty)
	 * @param offset how many keys to skip
	 * @param limit the most keys to return
	 * @return the page
	 */
	@Override
	public LockPage list(String keyPrefix, int offset, int limit) {
		RedisLimits.checkKey("list", keyPrefix);
		return this.listing.page(keyPrefix, offset, limit, () -> this.node.scan(keyPrefix),
				(key) -> LockInfo.of(key, this.node.inspect(key)));
	}

	@Override
	public boolean forceRelease(String key) {
		RedisLimits.checkKey("forceRelease", key);
		return this.node.forceRelease(key);
	}

	/**
	 * Returns {@code true}: releases are published on the release channel.
	 * @return {@code true}
	 */
	@Override
	public boolean notifiesReleases() {
		return true;
	}

	@Override
	public ReleaseSubscription subscribe(String key) {
		return subscribe(key, LeaseType.READ);
	}

	/**
	 * Subscribes a waiter for a lease of {@code type}: a release wakes every shared waiter but one
	 * exclusive waiter (see {@link ReleaseSignals}).
	 * @param key the backend key
	 * @param type the lease type the waiter wants
	 * @return an armed subscription
	 */
	@Override
	public ReleaseSubscription subscribe(String key, LeaseType type) {
		RedisShardedReleaseListener sharded = this.shardedListener;
		return (sharded != null) ? sharded.subscribe(key, type) : this.signals.subscribe(key, type);
	}

	/**
	 * Returns {@code true}: waiting write acquisitions are queued per key, first come first served, and a
	 * release hands the key to the oldest live waiter; no new reader is granted while a writer is queued
	 * (see {@link LeaseScripts}).
	 * @return {@code true}
	 */
	@Override
	public boolean queuesWaiters() {
		return true;
	}

	/**
	 * Subscribes a waiting acquisition: its write attempts are queued on the server while the subscription
	 * is open, a hand-off to its lease id wakes it (and no other waiter), and closing it without a grant
	 * takes it out of the queue (one release script call).
	 * @param request the waiting acquisition's request
	 * @return an armed subscription
	 */
	@Override
	public ReleaseSubscription subscribe(LeaseRequest request) {
		return this.queued.subscribe(request);
	}

	@Override
	public void ping() {
		this.node.ping();
	}

	/**
	 * Stops the release subscription. The connection factory stays open.
	 */
	@Override
	public void close() {
		if (this.listener != null) {
			this.listener.close();
		}
		if (this.shardedListener != null) {
			this.shardedListener.close();
		}
		if (this.replicaWait != null) {
			this.replicaWait.close();
		}
	}

	/**
	 * Returns how often the release channel was subscribed (more than once after reconnects), for tests
	 * and diagnostics.
	 * @return the subscription count
	 */
	long releaseSubscriptions() {
		return (this.listener != null) ? this.listener.subscriptions() : this.shardedListener.subscriptions();
	}

	/**
	 * Returns how many release messages reached this provider's subscription, for tests and diagnostics.
	 * @return the message count
	 */
	long releaseMessages() {
		return (this.listener != null) ? this.listener.messages() : this.shardedListener.messages();
	}

	/**
	 * Returns how many times a re-subscribed shard channel woke its waiters as a release would (0 without
	 * shard channels), for tests.
	 * @return the count
	 */
	long resubscriptionWakeUps() {
		return (this.shardedListener != null) ? this.shardedListener.resubscriptionWakeUps() : 0;
	}

	/**
	 * Returns whether releases publish on each key's shard channel (Redis Cluster, sharded pub/sub), for
	 * tests and diagnostics.
	 * @return {@code true} with shard channels, {@code false} with the classic channel
	 */
	boolean shardedReleases() {
		return this.shardedListener != null;
	}

	@Override
	public String toString() {
		return "RedisLockProvider[minReplicas=" + this.minReplicas + "]";
	}

	/**
	 * Builds a {@link RedisLockProvider}.
	 */
	public static final class Builder {

		private final RedisConnectionFactory connectionFactory;

		private int minReplicas;

		private Duration replicaTimeout = Duration.ofMillis(500);

		private String channel = DEFAULT_CHANNEL;

		private boolean shardedReleases = true;

		private Builder(RedisConnectionFactory connectionFactory) {
			this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory");
		}

		/**
		 * Sets how many replicas must confirm each grant ({@code WAIT}) before it counts; 0 (the default)
		 * skips the check.
		 * @param minReplicas replicas that must confirm, at least 0
		 * @return this builder
		 * @throws IllegalArgumentException if negative
		 */
		public Builder minReplicas(int minReplicas) {
			if (minReplicas < 0) {
				throw new IllegalArgumentException("minReplicas must be at least 0, but was " + minReplicas);
			}
			this.minReplicas = minReplicas;
			return this;
		}

		/**
		 * Sets how long to wait for replicas to confirm a grant (default 500 ms).
		 * @param replicaTimeout the timeout, positive
		 * @return this builder
		 * @throws IllegalArgumentException if not positive
		 */
		public Builder replicaTimeout(Duration replicaTimeout) {
			Objects.requireNonNull(replicaTimeout, "replicaTimeout");
			if (replicaTimeout.isNegative() || replicaTimeout.isZero()) {
				throw new IllegalArgumentException("replicaTimeout must be positive, but was " + replicaTimeout);
			}
			this.replicaTimeout = replicaTimeout;
			return this;
		}

		/**
		 * Sets the pub/sub channel on which releases are published (default {@value RedisLockProvider#DEFAULT_CHANNEL}).
		 * Every process sharing locks must use the same channel.
		 * @param channel the channel name, not blank
		 * @return this builder
		 * @throws IllegalArgumentException if blank
		 */
		public Builder channel(String channel) {
			this.channel = RedisKeys.requireChannel(channel);
			return this;
		}

		/**
		 * Sets whether, on a Redis Cluster (a cluster-aware {@code LettuceConnectionFactory}) of Redis 7 or
		 * later, releases are published with sharded pub/sub on each key's own shard channel
		 * {@code {K}:channel} ({@code SPUBLISH}, carried only by the master of the key's slot; waiters
		 * {@code SSUBSCRIBE} while they wait) instead of the classic channel, which the cluster broadcasts to
		 * every node (default {@code true}). Every process sharing locks must use the same setting: set it
		 * to {@code false} while some of them still run a version that uses the classic channel. Ignored
		 * (classic channel) on a single server, Sentinel, Redis 6 and other client libraries.
		 * @param shardedReleases whether to use shard channels on a cluster
		 * @return this builder
		 */
		public Builder shardedReleases(boolean shardedReleases) {
			this.shardedReleases = shardedReleases;
			return this;
		}

		/**
		 * Builds the provider and starts its release subscription.
		 * @return the provider
		 */
		public RedisLockProvider build() {
			return new RedisLockProvider(this);
		}

	}

}
