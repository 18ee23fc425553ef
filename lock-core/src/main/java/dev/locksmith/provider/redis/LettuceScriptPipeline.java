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

	/** Marks a reply of {@code NOSCRIPT}. */
	private static final Object NO_SCRIPT = new Object();

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
	 * Runs a script once per argument array, pipelined: every {@code EVALSHA} is written before any reply is
	 * awaited. Calls the server answers with {@code NOSCRIPT} (after a restart or failover, or a node of a
	 * cluster that never ran the script) are sent again with {@code EVAL}, also pipelined, which caches the
	 * script. On a cluster connection, Lettuce routes each call to the master of its first key's slot, so the
	 * calls form one pipeline per node.
	 * @param connection a Lettuce-backed connection
	 * @param script the script
	 * @param calls per call, the keys followed by the arguments
	 * @param keyCounts per call, how many of its entries are keys
	 * @param timeoutMillis how long to wait for all replies
	 * @return one reply per call ({@link RedisLeaseNode#TRY_AGAIN} for a call refused with {@code TRYAGAIN}), or
	 * {@code null} when the connection is not Lettuce's (then the caller runs the calls one by one)
	 */
	static @Nullable List<Object> evalAll(RedisConnection connection, LuaScript script, List<byte[][]> calls,
			int[] keyCounts, long timeoutMillis) {
		if (!(connection.getNativeConnection() instanceof RedisScriptingAsyncCommands<?, ?> scripting)) {
			return null;
		}
		@SuppressWarnings("unchecked")
		RedisScriptingAsyncCommands<byte[], byte[]> commands = (RedisScriptingAsyncCommands<byte[], byte[]>) scripting;
		long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
		List<RedisFuture<Object>> futures = new ArrayList<>(calls.size());
		for (int i = 0; i < calls.size(); i++) {
			futures.add(commands.evalsha(script.sha1(), ScriptOutputType.MULTI, keys(calls.get(i), keyCounts[i]),
					args(calls.get(i), keyCounts[i])));
		}
		Object[] replies = new Object[calls.size()];
		List<Integer> unknownScript = new ArrayList<>();
		for (int i = 0; i < futures.size(); i++) {
			Object reply = await(futures.get(i), script, deadline, timeoutMillis);
			if (reply == NO_SCRIPT) {
				unknownScript.add(i);
			}
			replies[i] = reply;
		}
		if (!unknownScript.isEmpty()) {
			List<RedisFuture<Object>> retries = new ArrayList<>(unknownScript.size());
			for (int i : unknownScript) {
				retries.add(commands.eval(script.text(), ScriptOutputType.MULTI, keys(calls.get(i), keyCounts[i]),
						args(calls.get(i), keyCounts[i])));
			}
			for (int r = 0; r < retries.size(); r++) {
				Object reply = await(retries.get(r), script, deadline, timeoutMillis);
				if (reply == NO_SCRIPT) {
					throw new RedisSystemException("Pipelined EVAL of " + script.name() + " reported NOSCRIPT", null);
				}
				replies[unknownScript.get(r)] = reply;
			}
		}
		return Arrays.asList(replies);
	}

	private static Object await(RedisFuture<Object> future, LuaScript script, long deadline, long timeoutMillis) {
		try {
			return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
		}
		catch (ExecutionException ex) {
			if (ex.getCause() instanceof RedisNoScriptException) {
				return NO_SCRIPT;
			}
			if (RedisLeaseNode.isTryAgain(ex.getCause())) {
				return RedisLeaseNode.TRY_AGAIN;
			}
			throw new RedisSystemException("Pipelined " + script.name() + " failed: " + ex.getCause().getMessage(),
					ex.getCause());
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

	private static byte[][] keys(byte[][] keysAndArgs, int keyCount) {
		return Arrays.copyOfRange(keysAndArgs, 0, keyCount);
	}

	private static byte[][] args(byte[][] keysAndArgs, int keyCount) {
		return Arrays.copyOfRange(keysAndArgs, keyCount, keysAndArgs.length);
	}

}
