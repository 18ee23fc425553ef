package dev.locksmith.provider.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * One contending process for {@link RedisCrossProcessTests}: several threads take the same Redis lock and,
 * inside it, do a deliberately unsafe read-sleep-write of a counter stored in Redis and check that the
 * fencing token exceeds the last one any process recorded. Exits 0 when done, 1 on a violation.
 */
public final class RedisContender {

	private RedisContender() {
	}

	/**
	 * Runs the contender.
	 * @param args port, lock key, threads, iterations per thread
	 * @throws Exception on failure
	 */
	public static void main(String[] args) throws Exception {
		int port = Integer.parseInt(args[0]);
		String key = args[1];
		int threads = Integer.parseInt(args[2]);
		int iterations = Integer.parseInt(args[3]);
		LettuceConnectionFactory factory = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", port),
				RedisClientSettings.clientConfiguration(Duration.ofSeconds(2)));
		factory.afterPropertiesSet();
		factory.start();
		int status = 0;
		try (RedisLockProvider provider = RedisLockProvider.builder(factory).build();
				LockEngine locks = Locksmith.builder(provider).keyPrefix("xproc:").build()) {
			ExecutorService executor = Executors.newFixedThreadPool(threads);
			List<Future<?>> futures = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				futures.add(executor.submit(() -> {
					for (int i = 0; i < iterations; i++) {
						try (LockHandle handle = locks.acquire(key, LockOptions.waitTime(Duration.ofSeconds(60)))) {
							criticalSection(factory, key, handle.fencingToken());
						}
					}
					return null;
				}));
			}
			for (Future<?> future : futures) {
				future.get(5, TimeUnit.MINUTES);
			}
			executor.shutdown();
		}
		catch (Exception ex) {
			ex.printStackTrace(System.out);
			status = 1;
		}
		finally {
			factory.destroy();
		}
		System.exit(status);
	}

	/**
	 * The unsafe section: read-sleep-write of a shared counter, plus a fencing check.
	 * @param factory connections to the same Redis
	 * @param key the lock key
	 * @param token the holder's fencing token
	 */
	static void criticalSection(RedisConnectionFactory factory, String key, long token) {
		byte[] counterKey = ("xproc-counter:" + key).getBytes(StandardCharsets.UTF_8);
		byte[] tokenKey = ("xproc-token:" + key).getBytes(StandardCharsets.UTF_8);
		try (RedisConnection connection = factory.getConnection()) {
			byte[] lastToken = connection.stringCommands().get(tokenKey);
			if (lastToken != null && Long.parseLong(new String(lastToken, StandardCharsets.UTF_8)) >= token) {
				throw new IllegalStateException("fencing token " + token + " does not exceed "
						+ new String(lastToken, StandardCharsets.UTF_8));
			}
			connection.stringCommands().set(tokenKey, Long.toString(token).getBytes(StandardCharsets.UTF_8));
			byte[] raw = connection.stringCommands().get(counterKey);
			long value = (raw != null) ? Long.parseLong(new String(raw, StandardCharsets.UTF_8)) : 0;
			LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(300));
			connection.stringCommands().set(counterKey, Long.toString(value + 1).getBytes(StandardCharsets.UTF_8));
		}
	}

}
