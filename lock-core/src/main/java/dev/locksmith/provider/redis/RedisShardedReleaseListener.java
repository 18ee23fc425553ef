package dev.locksmith.provider.redis;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

import dev.locksmith.LeaseType;
import dev.locksmith.provider.support.ReleaseSignals;
import dev.locksmith.spi.ReleaseSubscription;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.RedisClusterPubSubAdapter;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import io.lettuce.core.event.connection.ConnectionDeactivatedEvent;
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
 * again one by one; a refused re-subscription (say {@code CLUSTERDOWN} while a failover completes) is
 * retried with backoff until the master takes it or the key has no waiter left. Once a channel is back,
 * its waiters are woken as by a release, since a release may have been missed meanwhile (not before: a
 * waiter woken earlier could be denied and then miss a release published before the channel was back).
 * Thread-safe; no {@code synchronized} (a virtual thread waiting for a confirmation does not pin its
 * carrier).
 */
final class RedisShardedReleaseListener implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(RedisShardedReleaseListener.class);

	/** First delay before a refused re-subscription is sent again; it doubles up to {@link #RETRY_MAX_MILLIS}. */
	private static final long RETRY_MIN_MILLIS = 50;

	private static final long RETRY_MAX_MILLIS = 2_000;

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

	/** Set once any connection of the client dropped: from then on, an activated connection may be a reconnect. */
	private volatile boolean reconnecting;

	private final AtomicLong resubscriptionWakeUps = new AtomicLong();

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
		CompletableFuture<?> pending;
		try {
			entry.waiters++;
			pending = entry.subscribing;
			if (pending == null || pending.isCompletedExceptionally()) {
				pending = sendSubscribe(entry);
				entry.subscribing = pending;
			}
		}
		finally {
			entry.lock.unlock();
		}
		// outside the lock: the key's other waiters share this SSUBSCRIBE rather than queue behind it
		awaitConfirmation(entry, pending);
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

	/** Sends {@code SSUBSCRIBE}; the future completes with the master's confirmation. */
	private CompletableFuture<?> sendSubscribe(Channel entry) {
		try {
			return connection().async().ssubscribe(entry.channelBytes).toCompletableFuture();
		}
		catch (RuntimeException ex) {
			return CompletableFuture.failedFuture(ex);
		}
	}

	/**
	 * Waits up to the command timeout for the confirmation. Without it the waiter sleeps until its retry
	 * hint; a confirmation still missing then is sent again by the key's next waiter.
	 */
	private void awaitConfirmation(Channel entry, CompletableFuture<?> pending) {
		try {
			pending.get(this.timeoutMillis, TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (Exception ex) {
			logger.debug("Could not subscribe to {} (the waiter sleeps until its retry hint): {}", entry.channelName,
					ex.getMessage());
			if (ex instanceof TimeoutException) {
				entry.lock.lock();
				try {
					if (entry.subscribing == pending) {
						entry.subscribing = null;
					}
				}
				finally {
					entry.lock.unlock();
				}
			}
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
				// events first, so a connection that drops right after connecting is known to reconnect
				if (this.events == null) {
					this.events = this.client.getResources().eventBus().get().subscribe((event) -> {
						if (event instanceof ConnectionDeactivatedEvent) {
							this.reconnecting = true;
						}
						// a connection opened for the first time needs nothing: the SSUBSCRIBE that opened it follows
						else if ((event instanceof ConnectionActivatedEvent && this.reconnecting)
								|| event instanceof ClusterTopologyChangedEvent) {
							resubscribeAllLater();
						}
					});
				}
				current = this.client.connectPubSub(ByteArrayCodec.INSTANCE);
				current.addListener(new Listener());
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
	 * now); see {@link #resubscribe(Channel)}.
	 */
	private void resubscribeAll() {
		for (Channel entry : this.channels.values()) {
			resubscribe(entry);
		}
	}

	/** Runs {@link #resubscribeAll} on the client's event executors, never on an I/O thread. */
	private void resubscribeAllLater() {
		try {
			this.client.getResources().eventExecutorGroup().execute(this::resubscribeAll);
		}
		catch (RuntimeException ex) {
			// the client is shutting down: its waiters sleep until their retry hints
			logger.debug("Could not schedule re-subscriptions: {}", ex.getMessage());
		}
	}

	/**
	 * Subscribes a wanted channel again and, once the master confirmed it, wakes the key's waiters as a
	 * release would (one may have been missed while the channel was gone). A refused attempt is retried
	 * with backoff on the client's event executors (no thread of its own) while the key has waiters; a
	 * newer re-subscription of the channel supersedes it, so a channel has at most one retry pending.
	 */
	private void resubscribe(Channel entry) {
		resubscribe(entry, entry.rounds.incrementAndGet(), 0);
	}

	private void resubscribe(Channel entry, long round, int failures) {
		StatefulRedisClusterPubSubConnection<byte[], byte[]> current = this.connection;
		if (current == null || this.closed) {
			return;
		}
		// under the key's lock, like leave(): a last waiter's SUNSUBSCRIBE is either sent before this check
		// (the entry is removed, nothing is sent) or after this SSUBSCRIBE, never in between, which would leave
		// the channel subscribed with no waiter
		CompletableFuture<?> sent;
		entry.lock.lock();
		try {
			if (entry.removed || entry.rounds.get() != round) {
				return;
			}
			sent = current.async().ssubscribe(entry.channelBytes).toCompletableFuture();
		}
		catch (RuntimeException ex) {
			sent = CompletableFuture.failedFuture(ex);
		}
		finally {
			entry.lock.unlock();
		}
		sent.whenComplete((ok, error) -> {
			if (error == null) {
				this.resubscriptionWakeUps.incrementAndGet();
				this.signals.signal(entry.key);
				return;
			}
			long delay = Math.min(RETRY_MAX_MILLIS, RETRY_MIN_MILLIS << Math.min(failures, 6));
			logger.debug("Could not re-subscribe {} (again in {} ms): {}", entry.channelName, delay, error.getMessage());
			try {
				this.client.getResources()
					.eventExecutorGroup()
					.schedule(() -> resubscribe(entry, round, failures + 1), delay, TimeUnit.MILLISECONDS);
			}
			catch (RuntimeException ex) {
				// the client is shutting down: its waiters sleep until their retry hints
				logger.debug("Could not schedule the re-subscription of {}: {}", entry.channelName, ex.getMessage());
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
	 * Returns how many times a confirmed re-subscription woke its key's waiters (as a release would), for tests.
	 * @return the count
	 */
	long resubscriptionWakeUps() {
		return this.resubscriptionWakeUps.get();
	}

	/**
	 * Returns how many keys this listener keeps state for (keys with waiters, and keys whose
	 * {@code SUNSUBSCRIBE} awaits its confirmation), for tests.
	 * @return the count
	 */
	int trackedKeys() {
		return this.channels.size() + this.ownUnsubscribes.size();
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
			// not asked for: the master dropped a channel that is still wanted (its slot moved away); subscribed
			// again off this I/O thread, since resubscribe takes the key's lock
			logger.debug("Shard channel {} dropped by {}; subscribing again", entry.channelName, node.getUri());
			try {
				RedisShardedReleaseListener.this.client.getResources().eventExecutorGroup().execute(() -> resubscribe(entry));
			}
			catch (RuntimeException ex) {
				logger.debug("Could not re-subscribe {}: {}", entry.channelName, ex.getMessage());
			}
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

		/**
		 * Guarded by {@link #lock}: the first {@code SSUBSCRIBE}, pending or confirmed; {@code null} or failed
		 * when the next waiter must send it again.
		 */
		@Nullable CompletableFuture<?> subscribing;

		/** Written under {@link #lock}: this entry left the map; a new waiter makes a new one. */
		volatile boolean removed;

		/** Counts re-subscriptions started; a retry of an older one gives up. */
		final AtomicLong rounds = new AtomicLong();

		Channel(String key) {
			this.key = key;
			this.channelName = RedisKeys.shardChannel(key, RedisShardedReleaseListener.this.channel);
			this.channelBytes = this.channelName.getBytes(StandardCharsets.UTF_8);
		}

	}

}
