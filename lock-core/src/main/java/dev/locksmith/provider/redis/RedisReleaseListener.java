package dev.locksmith.provider.redis;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

import dev.locksmith.spi.ReleaseSignals;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.data.redis.connection.Message;
import org.springframework.data.redis.connection.MessageListener;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.SubscriptionListener;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.springframework.util.backoff.ExponentialBackOff;

/**
 * The one pub/sub subscription of a provider: listens on the release channel (each message is a
 * released backend key) and wakes the local waiters of that key through {@link ReleaseSignals}. Every
 * (re)subscription wakes every waiter, since releases may have been missed while disconnected.
 */
final class RedisReleaseListener implements MessageListener, SubscriptionListener, AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(RedisReleaseListener.class);

	private final ReleaseSignals signals;

	private final RedisMessageListenerContainer container;

	private final AtomicLong subscriptions = new AtomicLong();

	private final RedisConnectionFactory connectionFactory;

	private volatile boolean closed;

	RedisReleaseListener(RedisConnectionFactory connectionFactory, String channel, ReleaseSignals signals) {
		this.signals = signals;
		this.connectionFactory = connectionFactory;
		this.container = new RedisMessageListenerContainer();
		this.container.setConnectionFactory(connectionFactory);
		// Messages are dispatched on the client's I/O thread: signalling a waiter never blocks.
		this.container.setTaskExecutor(Runnable::run);
		SimpleAsyncTaskExecutor subscriber = new SimpleAsyncTaskExecutor("locksmith-redis-subscriber-");
		subscriber.setDaemon(true);
		this.container.setSubscriptionExecutor(subscriber);
		this.container.setErrorHandler((ex) -> logger.warn("Locksmith release subscription failed", ex));
		ExponentialBackOff recovery = new ExponentialBackOff(100, 2);
		recovery.setMaxInterval(2000);
		this.container.setRecoveryBackoff(recovery);
		this.container.addMessageListener(this, new ChannelTopic(channel));
		this.container.afterPropertiesSet();
	}

	/**
	 * Starts listening without blocking the caller. The container retries a failed first subscription on
	 * the starting thread, recursively, for as long as Redis cannot be reached; so a daemon thread first
	 * waits (with backoff) until Redis answers, then starts the container. Later disconnects are handled
	 * by the client's own reconnect and re-subscription.
	 */
	void start() {
		Thread starter = new Thread(this::startWhenReachable, "locksmith-redis-subscribe");
		starter.setDaemon(true);
		starter.start();
	}

	private void startWhenReachable() {
		long delayMillis = 50;
		while (!this.closed) {
			try (RedisConnection connection = this.connectionFactory.getConnection()) {
				connection.ping();
				synchronized (this) {
					if (!this.closed) {
						this.container.start();
					}
				}
				return;
			}
			catch (RuntimeException ex) {
				logger.debug("Redis not reachable for the Locksmith release subscription yet: {}", ex.getMessage());
			}
			try {
				Thread.sleep(delayMillis);
			}
			catch (InterruptedException ex) {
				return;
			}
			delayMillis = Math.min(delayMillis * 2, 1000);
		}
	}

	/**
	 * Returns how many times the channel was subscribed, counting re-subscriptions after reconnects.
	 * @return the subscription count
	 */
	long subscriptions() {
		return this.subscriptions.get();
	}

	@Override
	public void onMessage(Message message, byte @Nullable [] pattern) {
		this.signals.signal(new String(message.getBody(), StandardCharsets.UTF_8));
	}

	@Override
	public void onChannelSubscribed(byte[] channel, long count) {
		if (this.subscriptions.incrementAndGet() > 1) {
			logger.debug("Locksmith release channel re-subscribed; waking every waiter");
		}
		this.signals.signalAll();
	}

	@Override
	public synchronized void close() {
		this.closed = true;
		try {
			this.container.destroy();
		}
		catch (Exception ex) {
			logger.debug("Could not stop the Locksmith release subscription", ex);
		}
	}

}
