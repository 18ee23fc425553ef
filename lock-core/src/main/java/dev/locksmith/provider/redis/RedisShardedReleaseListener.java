package dev.locksmith.provider.redis;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

import dev.locksmith.LeaseType;
import dev.locksmith.spi.ReleaseSignals;
import dev.locksmith.spi.ReleaseSubscription;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.RedisClusterPubSubAdapter;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Release wake-ups on a Redis Cluster through sharded pub/sub (Redis 7): each key has its own shard channel
 * {@code {K}:channel} in the key's slot ({@link RedisKeys#shardChannel}); a release {@code SPUBLISH}es there,
 * so only that slot's master carries the message, and only processes with a waiter on {@code K} receive
 * it. A waiter's {@link #subscribe} sends {@code SSUBSCRIBE} (Lettuce routes it to the slot's master) and
 * returns once the master confirmed it, so the engine's attempt after subscribing, if denied, is followed
 * by a message for every later release. Waiters of one key in this process share one server subscription;
 * the last one to leave unsubscribes.
 *
 * <p>Spring Data Redis has no sharded pub/sub, so this uses the cluster client of the
 * {@code LettuceConnectionFactory} directly, on one pub/sub connection of its own (one socket per master).
 *
 * <p>Keeping the subscriptions: a master that loses a slot (resharding) drops its shard channels
 * ({@code SUNSUBSCRIBE} pushed to the client); a reconnected node connection is re-subscribed by Lettuce
 * with all its channels in one {@code SSUBSCRIBE}, which the cluster refuses when they are in different
 * slots; a failover moves the slots to another node. So on each of those events (an unrequested
 * {@code SUNSUBSCRIBE}, a connection activated, a topology change) every wanted channel is subscribed
 * again one by one, and its waiters are woken, since a release may have been missed meanwhile. Thread-safe;
 * no {@code synchronized} (a virtual thread waiting for a confirmation does not pin its carrier).
 */
final class RedisShardedReleaseListener implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(RedisShardedReleaseListener.class);

	private final RedisClusterClient client;

	private final String channel;

	private final ReleaseSignals signals;

	private final long timeoutMillis;

	/** Reads a message: wakes a hand-off's waiter and returns null, or returns the released key. */
	private final Function<byte[], @Nullable String> decoder;

	/** The keys with waiters in this process, each with its count of waiters. */
	private final ConcurrentHashMap<String, Channel> channels = new ConcurrentHashMap<>();

	/** Per key, how many {@code SUNSUBSCRIBE}s this listener sent whose confirmation has not come yet. */
	private final ConcurrentHashMap<String, Integer> ownUnsubscribes = new ConcurrentHashMap<>();

	private final ReentrantLock connecting = new ReentrantLock();

	private final AtomicLong subscriptions = new AtomicLong();

	private final AtomicLong messages = new AtomicLong();

	private volatile @Nullable StatefulRedisClusterPubSubConnection<byte[], byte[]> connection;

	private volatile @Nullable Disposable events;

	private volatile boolean closed;

	RedisShardedReleaseListener(RedisClusterClient client, String channel, ReleaseSignals signals, long timeoutMillis,
			Function<byte[], @Nullable String> decoder) {
		this.client = client;
		this.decoder = decoder;
		this.channel = channel;
		this.signals = signals;
		this.timeoutMillis = timeoutMillis;
	}

	/**
	 * Returns whether a factory can carry sharded pub/sub: a cluster-aware {@code LettuceConnectionFactory}
	 * (Spring Data Redis itself has no sharded pub/sub, so the listener needs Lettuce's cluster client).
	 * @param connectionFactory the factory
	 * @return {@code true} for a Lettuce cluster factory
	 */
	static boolean supports(RedisConnectionFactory connectionFactory) {
		return connectionFactory instanceof LettuceConnectionFactory lettuce && lettuce.isClusterAware()
				&& lettuce.getNativeClient() instanceof RedisClusterClient;
	}

	/**
	 * Creates the listener on the cluster client of a factory that {@link #supports} it.
	 * @param connectionFactory a cluster-aware {@code LettuceConnectionFactory}
	 * @param channel the release channel name, the suffix of every shard channel
	 * @param signals the provider's signals
	 * @param decoder reads a message: wakes a hand-off's waiter and returns {@code null}, or returns
	 * non-null for a plain release, which wakes the key's waiters
	 * @return the listener (it connects on the first waiter)
	 */
	static RedisShardedReleaseListener create(RedisConnectionFactory connectionFactory, String channel,
			ReleaseSignals signals, Function<byte[], @Nullable String> decoder) {
		LettuceConnectionFactory lettuce = (LettuceConnectionFactory) connectionFactory;
		return new RedisShardedReleaseListener((RedisClusterClient) lettuce.getRequiredNativeClient(), channel,
				signals, LettuceScriptPipeline.timeoutMillis(connectionFactory), decoder);
	}

	/**
	 * Registers a waiter and makes sure its key's shard channel is subscribed before returning. If the
	 * master cannot be reached, the waiter is registered anyway and sleeps until its retry hint (or until a
	 * later re-subscription wakes it); nothing fails.
	 * @param key the backend key
	 * @param type the lease type the waiter wants
	 * @return an armed subscription; closing it unsubscribes the channel when it was the key's last waiter
	 */
	ReleaseSubscription subscribe(String key, LeaseType type) {
		ReleaseSubscription local = this.signals.subscribe(key, type);
		Channel entry;
		while (true) {
			entry = this.channels.computeIfAbsent(key, Channel::new);
			entry.lock.lock();
			if (!entry.removed) {
				break;
			}
			entry.lock.unlock();
		}
		try {
			entry.waiters++;
			if (!entry.confirmed) {
				entry.confirmed = subscribeAndWait(entry);
			}
		}
		finally {
			entry.lock.unlock();
		}
		Channel subscribed = entry;
		return new ReleaseSubscription() {

			private final AtomicBoolean closed = new AtomicBoolean();

			@Override
			public boolean await(long timeoutNanos) throws InterruptedException {
				return local.await(timeoutNanos);
			}

			@Override
			public void wakeUpUnused() {
				local.wakeUpUnused();
			}

			@Override
			public void close() {
				if (this.closed.compareAndSet(false, true)) {
					local.close();
					leave(subscribed);
				}
			}
		};
	}

	/**
	 * Drops a waiter; the key's last waiter unsubscribes. The {@code SUNSUBSCRIBE} is handed to the connection
	 * before the entry leaves the map, so a new waiter's {@code SSUBSCRIBE} (on the same routed node
	 * connection) always follows it instead of being undone by it.
	 */
	private void leave(Channel entry) {
		entry.lock.lock();
		try {
			if (--entry.waiters > 0) {
				return;
			}
			StatefulRedisClusterPubSubConnection<byte[], byte[]> current = this.connection;
			if (current != null && current.isOpen()) {
				this.ownUnsubscribes.merge(entry.key, 1, Integer::sum);
				current.async().sunsubscribe(entry.channelBytes).whenComplete((ok, error) -> {
					if (error != null) {
						consumeOwnUnsubscribe(entry.key);
						logger.debug("Could not unsubscribe {}: {}", entry.channelName, error.getMessage());
					}
				});
			}
			entry.removed = true;
			this.channels.remove(entry.key, entry);
		}
		finally {
			entry.lock.unlock();
		}
	}

	/** Counts off one of this listener's own unsubscribes of a key; returns whether there was one. */
	private boolean consumeOwnUnsubscribe(String key) {
		boolean[] own = new boolean[1];
		this.ownUnsubscribes.computeIfPresent(key, (k, pending) -> {
			own[0] = true;
			return (pending > 1) ? pending - 1 : null;
		});
		return own[0];
	}

	/** Sends {@code SSUBSCRIBE} and waits for the master's confirmation; returns whether it came. */
	private boolean subscribeAndWait(Channel entry) {
		try {
			connection().async().ssubscribe(entry.channelBytes).get(this.timeoutMillis, TimeUnit.MILLISECONDS);
			return true;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
		catch (Exception ex) {
			logger.debug("Could not subscribe to {} (the waiter sleeps until its retry hint): {}", entry.channelName,
					ex.getMessage());
			return false;
		}
	}

	private StatefulRedisClusterPubSubConnection<byte[], byte[]> connection() {
		StatefulRedisClusterPubSubConnection<byte[], byte[]> current = this.connection;
		if (current != null) {
			return current;
		}
		this.connecting.lock();
		try {
			current = this.connection;
			if (current == null) {
				if (this.closed) {
					throw new IllegalStateException("The release listener is closed");
				}
				current = this.client.connectPubSub(ByteArrayCodec.INSTANCE);
				current.addListener(new Listener());
				this.events = this.client.getResources().eventBus().get().subscribe((event) -> {
					if (event instanceof ConnectionActivatedEvent || event instanceof ClusterTopologyChangedEvent) {
						resubscribeAll();
					}
				});
				this.connection = current;
			}
			return current;
		}
		finally {
			this.connecting.unlock();
		}
	}

	/**
	 * Subscribes every wanted channel again, one {@code SSUBSCRIBE} each (each routed to its slot's master
	 * now), and wakes every waiter: a release may have been missed while a subscription was gone.
	 */
	private void resubscribeAll() {
		StatefulRedisClusterPubSubConnection<byte[], byte[]> current = this.connection;
		if (current == null || this.closed || this.channels.isEmpty()) {
			return;
		}
		for (Channel entry : this.channels.values()) {
			resubscribe(current, entry);
		}
		this.signals.signalAll();
	}

	private void resubscribe(StatefulRedisClusterPubSubConnection<byte[], byte[]> current, Channel entry) {
		current.async().ssubscribe(entry.channelBytes).whenComplete((ok, error) -> {
			if (error != null) {
				logger.debug("Could not re-subscribe {}: {}", entry.channelName, error.getMessage());
			}
		});
	}

	/**
	 * Returns how many release messages arrived, for tests.
	 * @return the message count
	 */
	long messages() {
		return this.messages.get();
	}

	/**
	 * Returns how many times a channel was subscribed, counting re-subscriptions.
	 * @return the count
	 */
	long subscriptions() {
		return this.subscriptions.get();
	}

	/**
	 * Closes the pub/sub connection (the server drops its subscriptions with it).
	 */
	@Override
	public void close() {
		this.closed = true;
		Disposable subscription = this.events;
		if (subscription != null) {
			subscription.dispose();
		}
		this.connecting.lock();
		try {
			StatefulRedisClusterPubSubConnection<byte[], byte[]> current = this.connection;
			if (current != null) {
				current.closeAsync();
			}
		}
		finally {
			this.connecting.unlock();
		}
	}

	private @Nullable String keyOf(byte[] channelName) {
		return RedisKeys.keyOfShardChannel(new String(channelName, StandardCharsets.UTF_8), this.channel);
	}

	/** Receives the shard messages and (un)subscription confirmations of every master. */
	private final class Listener extends RedisClusterPubSubAdapter<byte[], byte[]> {

		@Override
		public void smessage(RedisClusterNode node, byte[] channelName, byte[] message) {
			RedisShardedReleaseListener.this.messages.incrementAndGet();
			String key = keyOf(channelName);
			// a hand-off message wakes only its waiter (the decoder does) and no one else
			if (key != null && RedisShardedReleaseListener.this.decoder.apply(message) != null) {
				RedisShardedReleaseListener.this.signals.signal(key);
			}
		}

		@Override
		public void ssubscribed(RedisClusterNode node, byte[] channelName, long count) {
			RedisShardedReleaseListener.this.subscriptions.incrementAndGet();
		}

		@Override
		public void sunsubscribed(RedisClusterNode node, byte[] channelName, long count) {
			String key = keyOf(channelName);
			if (key == null || consumeOwnUnsubscribe(key)) {
				return;
			}
			Channel entry = RedisShardedReleaseListener.this.channels.get(key);
			StatefulRedisClusterPubSubConnection<byte[], byte[]> current = RedisShardedReleaseListener.this.connection;
			if (entry == null || current == null || RedisShardedReleaseListener.this.closed) {
				return;
			}
			// not asked for: the master dropped a channel that is still wanted (its slot moved away)
			logger.debug("Shard channel {} dropped by {}; subscribing again", entry.channelName, node.getUri());
			resubscribe(current, entry);
			RedisShardedReleaseListener.this.signals.signalAll();
		}

	}

	/** The server subscription of one key's shard channel and the count of local waiters on it. */
	private final class Channel {

		final String key;

		final String channelName;

		final byte[] channelBytes;

		final ReentrantLock lock = new ReentrantLock();

		/** Guarded by {@link #lock}. */
		int waiters;

		/** Guarded by {@link #lock}: whether a master confirmed the subscription once. */
		boolean confirmed;

		/** Guarded by {@link #lock}: this entry left the map; a new waiter makes a new one. */
		boolean removed;

		Channel(String key) {
			this.key = key;
			this.channelName = RedisKeys.shardChannel(key, RedisShardedReleaseListener.this.channel);
			this.channelBytes = this.channelName.getBytes(StandardCharsets.UTF_8);
		}

	}

}
