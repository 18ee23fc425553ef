package dev.locksmith.provider.redis;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import dev.locksmith.provider.support.ReleaseSignals;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.data.redis.connection.Message;
import org.springframework.data.redis.connection.MessageListener;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.SubscriptionListener;

/**
 * The one pub/sub subscription of a provider: listens on the release channel (each message is a
 * released backend key) and wakes the local waiters of that key through {@link ReleaseSignals}. Every
 * (re)subscription wakes every waiter, since releases may have been missed while disconnected.
 *
 * <p>A daemon thread subscribes, retrying with backoff while Redis cannot be reached, so building a
 * provider never blocks. Once subscribed, Lettuce reconnects and re-subscribes by itself (and reports
 * the re-subscription here). With a blocking client (Jedis) the thread stays in the subscription.
 */
final class RedisReleaseListener implements MessageListener, SubscriptionListener, AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(RedisReleaseListener.class);

	private static final long MAX_RETRY_MILLIS = 1000;

	private final RedisConnectionFactory connectionFactory;

	private final byte[] channel;

	private final ReleaseSignals signals;

	/** Reads a message: wakes a hand-off's waiter and returns null, or returns the released key. */
	private final Function<byte[], @Nullable String> decoder;

	private final AtomicLong subscriptions = new AtomicLong();

	private final AtomicLong messages = new AtomicLong();

	private final Object lock = new Object();

	private @Nullable RedisConnection connection;

	private volatile boolean closed;

	RedisReleaseListener(RedisConnectionFactory connectionFactory, String channel, ReleaseSignals signals,
			Function<byte[], @Nullable String> decoder) {
		this.decoder = decoder;
		this.connectionFactory = connectionFactory;
		this.channel = channel.getBytes(StandardCharsets.UTF_8);
		this.signals = signals;
	}

	/**
	 * Starts subscribing in the background.
	 */
	void start() {
		Thread subscriber = new Thread(this::subscribeUntilClosed, "locksmith-redis-subscribe");
		subscriber.setDaemon(true);
		subscriber.start();
	}

	private void subscribeUntilClosed() {
		long delayMillis = 50;
		while (!this.closed) {
			RedisConnection candidate = null;
			try {
				candidate = this.connectionFactory.getConnection();
				synchronized (this.lock) {
					if (this.closed) {
						candidate.close();
						return;
					}
					this.connection = candidate;
				}
				// Lettuce returns once subscribed; a blocking client returns when unsubscribed.
				candidate.subscribe(this, this.channel);
				if (candidate.isSubscribed() || this.closed) {
					return;
				}
			}
			catch (RuntimeException ex) {
				logger.debug("Locksmith release subscription not possible yet: {}", ex.getMessage());
				closeQuietly(candidate);
			}
			synchronized (this.lock) {
				this.connection = null;
			}
			try {
				Thread.sleep(delayMillis);
			}
			catch (InterruptedException ex) {
				return;
			}
			delayMillis = Math.min(delayMillis * 2, MAX_RETRY_MILLIS);
		}
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

	@Override
	public void onMessage(Message message, byte @Nullable [] pattern) {
		this.messages.incrementAndGet();
		String key = this.decoder.apply(message.getBody());
		if (key != null) {
			this.signals.signal(key);
		}
	}

	@Override
	public void onChannelSubscribed(byte[] channel, long count) {
		if (this.subscriptions.incrementAndGet() > 1) {
			logger.debug("Locksmith release channel re-subscribed; waking every waiter");
		}
		this.signals.signalAll();
	}

	/**
	 * Unsubscribes and closes the subscription's connection.
	 */
	@Override
	public void close() {
		RedisConnection current;
		synchronized (this.lock) {
			this.closed = true;
			current = this.connection;
			this.connection = null;
		}
		if (current != null) {
			try {
				if (current.isSubscribed() && current.getSubscription() != null) {
					current.getSubscription().close();
				}
			}
			catch (RuntimeException ex) {
				logger.debug("Could not unsubscribe the Locksmith release listener", ex);
			}
			closeQuietly(current);
		}
	}

	private static void closeQuietly(@Nullable RedisConnection connection) {
		if (connection != null) {
			try {
				connection.close();
			}
			catch (RuntimeException ex) {
				logger.debug("Could not close a Locksmith release connection", ex);
			}
		}
	}

}
