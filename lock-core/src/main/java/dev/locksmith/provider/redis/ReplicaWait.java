package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.BaseRedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;

import org.springframework.dao.QueryTimeoutException;
import org.springframework.data.redis.RedisConnectionFailureException;
import org.springframework.data.redis.RedisSystemException;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnection;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Replica confirmation ({@code WAIT}) on dedicated connections. {@code WAIT} blocks the connection it runs
 * on until the replicas answer or the timeout passes, and it confirms the writes of that connection only,
 * so a grant that needs confirmation runs its script and its {@code WAIT} on a connection of its own, taken
 * from a small pool of Lettuce connections opened from the application's factory's client (at most
 * {@value #MAX_OPEN} open at once); the application's shared connection never waits behind a
 * {@code WAIT}. Only loaded when replica confirmation is on; needs a Lettuce factory for a standalone
 * server or Sentinel.
 */
final class ReplicaWait implements AutoCloseable {

	/** Most idle dedicated connections kept open; more are opened while more grants wait at once. */
	static final int MAX_IDLE = 8;

	/**
	 * Most dedicated connections open at once. A grant that finds them all busy waits for one up to the
	 * command timeout and then fails as unavailable, so a burst of callers cannot open one connection each.
	 */
	static final int MAX_OPEN = 32;

	private final LettuceConnectionFactory factory;

	private final int replicas;

	private final Duration timeout;

	private final ConcurrentLinkedDeque<StatefulRedisConnection<byte[], byte[]>> idle = new ConcurrentLinkedDeque<>();

	private final AtomicInteger idleCount = new AtomicInteger();

	private final Semaphore open = new Semaphore(MAX_OPEN);

	private volatile boolean closed;

	/**
	 * Creates the confirmation for a factory.
	 * @param factory the application's connection factory
	 * @param replicas how many replicas must acknowledge, positive
	 * @param timeout how long to wait for them
	 * @throws IllegalArgumentException if the factory is not a Lettuce factory or is configured for a Redis
	 * Cluster
	 */
	ReplicaWait(RedisConnectionFactory factory, int replicas, Duration timeout) {
		if (!(factory instanceof LettuceConnectionFactory lettuce)) {
			throw new IllegalArgumentException("minReplicas needs a LettuceConnectionFactory, but the factory is a "
					+ factory.getClass().getName());
		}
		if (lettuce.isClusterAware()) {
			throw new IllegalArgumentException("minReplicas needs a standalone or Sentinel Redis, but the factory is "
					+ "configured for a Redis Cluster (WAIT would only confirm the writes of one shard's connection)");
		}
		this.factory = lettuce;
		this.replicas = replicas;
		this.timeout = timeout;
	}

	/**
	 * Runs an action on a dedicated connection, which afterwards goes back to the pool.
	 * @param action the action; it runs its writes and then {@link #confirmed(RedisConnection)}
	 * @param <T> the result type
	 * @return the action's result
	 */
	<T> T run(Function<RedisConnection, T> action) {
		acquireSlot();
		StatefulRedisConnection<byte[], byte[]> connection;
		try {
			connection = borrow();
		}
		catch (RuntimeException ex) {
			this.open.release();
			throw ex;
		}
		boolean healthy = false;
		try {
			T result = action.apply(new LettuceConnection(connection, this.factory.getTimeout(), client(),
					this.factory.getDatabase()));
			healthy = true;
			return result;
		}
		finally {
			giveBack(connection, healthy);
			this.open.release();
		}
	}

	private void acquireSlot() {
		try {
			if (!this.open.tryAcquire(Math.max(1, this.factory.getTimeout()), TimeUnit.MILLISECONDS)) {
				throw new RedisConnectionFailureException("All " + MAX_OPEN
						+ " dedicated connections for WAIT are busy (replicas slow to confirm?)");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new RedisSystemException("Interrupted while waiting for a connection for WAIT", ex);
		}
	}

	/**
	 * Waits for the replicas to acknowledge the writes made so far on a connection from {@link #run}.
	 * @param connection the dedicated connection
	 * @return whether enough replicas acknowledged in time
	 */
	boolean confirmed(RedisConnection connection) {
		if (!(connection.getNativeConnection() instanceof BaseRedisAsyncCommands<?, ?> commands)) {
			throw new IllegalStateException("WAIT needs a Lettuce connection");
		}
		long timeoutMillis = Math.max(1, this.timeout.toMillis());
		try {
			return commands.waitForReplication(this.replicas, timeoutMillis)
				.get(timeoutMillis + Math.max(1000, this.factory.getTimeout()), TimeUnit.MILLISECONDS) >= this.replicas;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new RedisSystemException("Interrupted while waiting for replicas", ex);
		}
		catch (ExecutionException ex) {
			throw new RedisSystemException("WAIT failed: " + ex.getCause().getMessage(), ex.getCause());
		}
		catch (TimeoutException ex) {
			throw new QueryTimeoutException("WAIT did not answer", ex);
		}
	}

	/**
	 * Closes the idle dedicated connections; connections in use are closed when they come back.
	 */
	@Override
	public void close() {
		this.closed = true;
		StatefulRedisConnection<byte[], byte[]> connection;
		while ((connection = this.idle.poll()) != null) {
			connection.closeAsync();
		}
	}

	private StatefulRedisConnection<byte[], byte[]> borrow() {
		StatefulRedisConnection<byte[], byte[]> connection;
		while ((connection = this.idle.poll()) != null) {
			this.idleCount.decrementAndGet();
			if (connection.isOpen()) {
				return connection;
			}
			connection.closeAsync();
		}
		try {
			connection = client().connect(ByteArrayCodec.INSTANCE);
			connection.setTimeout(Duration.ofMillis(this.factory.getTimeout()));
			if (this.factory.getDatabase() != 0) {
				connection.sync().select(this.factory.getDatabase());
			}
			return connection;
		}
		catch (RedisException ex) {
			throw new RedisConnectionFailureException("Could not open a connection for WAIT: " + ex.getMessage(), ex);
		}
	}

	private void giveBack(StatefulRedisConnection<byte[], byte[]> connection, boolean healthy) {
		if (healthy && !this.closed && connection.isOpen() && this.idleCount.incrementAndGet() <= MAX_IDLE) {
			this.idle.push(connection);
			if (this.closed) {
				close();
			}
			return;
		}
		if (healthy && !this.closed && connection.isOpen()) {
			this.idleCount.decrementAndGet();
		}
		connection.closeAsync();
	}

	private RedisClient client() {
		AbstractRedisClient client = this.factory.getRequiredNativeClient();
		if (!(client instanceof RedisClient redisClient)) {
			throw new IllegalStateException("minReplicas needs a standalone or Sentinel Redis, but the factory's client is a "
					+ client.getClass().getSimpleName());
		}
		return redisClient;
	}

}
