package dev.locksmith.provider.redis;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.lettuce.core.api.async.BaseRedisAsyncCommands;

import org.springframework.dao.QueryTimeoutException;
import org.springframework.data.redis.RedisSystemException;
import org.springframework.data.redis.connection.RedisConnection;

/**
 * Runs {@code WAIT} on the Lettuce connection that carried the grant, so the replicas confirm that
 * write. (Spring Data Redis has no typed {@code WAIT}, and its generic {@code execute} cannot read an
 * integer reply.) Only loaded when replica confirmation is on.
 */
final class ReplicaWait {

	private ReplicaWait() {
	}

	/**
	 * Waits for replicas to acknowledge the connection's writes.
	 * @param connection a Lettuce-backed connection
	 * @param replicas how many replicas must acknowledge
	 * @param timeout how long to wait for them
	 * @return how many acknowledged
	 */
	static long await(RedisConnection connection, int replicas, Duration timeout) {
		if (!(connection.getNativeConnection() instanceof BaseRedisAsyncCommands<?, ?> commands)) {
			throw new IllegalStateException("minReplicas needs a Lettuce connection factory, but the connection is "
					+ connection.getNativeConnection().getClass().getName());
		}
		long timeoutMillis = Math.max(1, timeout.toMillis());
		try {
			return commands.waitForReplication(replicas, timeoutMillis).get(timeoutMillis + 1000, TimeUnit.MILLISECONDS);
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

}
