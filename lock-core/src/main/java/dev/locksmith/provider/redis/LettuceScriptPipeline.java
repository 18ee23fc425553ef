package dev.locksmith.provider.redis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import org.jspecify.annotations.Nullable;

import org.springframework.dao.QueryTimeoutException;
import org.springframework.data.redis.RedisSystemException;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Sends several {@code EVALSHA} calls back to back on the Lettuce connection a {@link RedisConnection} wraps
 * (the shared native connection, by default) and then waits for all replies: one round trip for all of
 * them. Spring Data's own pipelining would take a dedicated connection, which without a pool means a new
 * connection and handshake every time. Only loaded when Lettuce is on the class path.
 */
final class LettuceScriptPipeline {

	private static final long DEFAULT_TIMEOUT_MILLIS = 5000;

	private LettuceScriptPipeline() {
	}

	/**
	 * Returns the command timeout of a Lettuce connection factory, or 5 s for any other factory.
	 * @param connectionFactory the factory
	 * @return the timeout in milliseconds
	 */
	static long timeoutMillis(RedisConnectionFactory connectionFactory) {
		return (connectionFactory instanceof LettuceConnectionFactory lettuce) ? Math.max(1, lettuce.getTimeout())
				: DEFAULT_TIMEOUT_MILLIS;
	}

	/**
	 * Runs a loaded script once per argument array, pipelined.
	 * @param connection a Lettuce-backed connection
	 * @param script the script (already known to the server, or the call reports {@code null})
	 * @param calls per call, the keys followed by the arguments
	 * @param keyCounts per call, how many of its entries are keys
	 * @param timeoutMillis how long to wait for all replies
	 * @return one reply per call, or {@code null} when the connection is not Lettuce's or the server does not
	 * know the script (then the caller runs the calls one by one, which loads it)
	 */
	static @Nullable List<Object> evalAll(RedisConnection connection, LuaScript script, List<byte[][]> calls,
			int[] keyCounts, long timeoutMillis) {
		if (!(connection.getNativeConnection() instanceof RedisScriptingAsyncCommands<?, ?> scripting)) {
			return null;
		}
		@SuppressWarnings("unchecked")
		RedisScriptingAsyncCommands<byte[], byte[]> commands = (RedisScriptingAsyncCommands<byte[], byte[]>) scripting;
		List<RedisFuture<Object>> futures = new ArrayList<>(calls.size());
		for (int i = 0; i < calls.size(); i++) {
			byte[][] keysAndArgs = calls.get(i);
			byte[][] keys = Arrays.copyOfRange(keysAndArgs, 0, keyCounts[i]);
			byte[][] args = Arrays.copyOfRange(keysAndArgs, keyCounts[i], keysAndArgs.length);
			futures.add(commands.evalsha(script.sha1(), ScriptOutputType.MULTI, keys, args));
		}
		long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
		List<Object> replies = new ArrayList<>(futures.size());
		boolean noScript = false;
		for (RedisFuture<Object> future : futures) {
			try {
				replies.add(future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
			}
			catch (ExecutionException ex) {
				if (!(ex.getCause() instanceof RedisNoScriptException)) {
					throw new RedisSystemException("Pipelined " + script.name() + " failed: " + ex.getCause().getMessage(),
							ex.getCause());
				}
				noScript = true;
			}
			catch (TimeoutException ex) {
				throw new QueryTimeoutException("Pipelined " + script.name() + " did not answer within " + timeoutMillis
						+ " ms", ex);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new RedisSystemException("Interrupted while waiting for pipelined " + script.name(), ex);
			}
		}
		return noScript ? null : replies;
	}

}
