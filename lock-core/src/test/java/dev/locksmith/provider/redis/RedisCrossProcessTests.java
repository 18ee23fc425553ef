package dev.locksmith.provider.redis;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.testsupport.RedisTestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two separate JVMs (plus this one) contend for one Redis lock; an unsafe read-sleep-write of a shared
 * counter inside the lock must lose no update, and fencing tokens must increase across processes.
 */
class RedisCrossProcessTests {

	private static final int THREADS = 3;

	private static final int ITERATIONS = 20;

	@Test
	void twoJvmsAndThisOneNeverHoldTheLockTogether(@TempDir Path logs) throws Exception {
		String key = "counter";
		try (RedisTestServer redis = new RedisTestServer()) {
			List<Process> processes = new ArrayList<>();
			for (int i = 0; i < 2; i++) {
				processes.add(contender(redis.port(), key, logs.resolve("contender-" + i + ".log")));
			}
			LettuceConnectionFactory factory = redis.connectionFactory();
			try (RedisLockProvider provider = RedisLockProvider.builder(factory).build();
					LockEngine locks = Locksmith.builder(provider).keyPrefix("xproc:").build()) {
				for (int i = 0; i < ITERATIONS; i++) {
					try (LockHandle handle = locks.acquire(key, LockOptions.waitTime(Duration.ofSeconds(60)))) {
						RedisContender.criticalSection(factory, key, handle.fencingToken());
					}
				}
				for (int i = 0; i < processes.size(); i++) {
					Process process = processes.get(i);
					assertThat(process.waitFor(3, TimeUnit.MINUTES)).as("contender %d finished", i).isTrue();
					assertThat(process.exitValue()).as("contender %d: %s", i,
							Files.readString(logs.resolve("contender-" + i + ".log"))).isZero();
				}
				try (RedisConnection connection = factory.getConnection()) {
					byte[] counter = connection.stringCommands()
						.get(("xproc-counter:" + key).getBytes(StandardCharsets.UTF_8));
					assertThat(new String(counter, StandardCharsets.UTF_8)).as("no lost update")
						.isEqualTo(Integer.toString(2 * THREADS * ITERATIONS + ITERATIONS));
				}
			}
			finally {
				processes.forEach(Process::destroyForcibly);
				factory.destroy();
			}
		}
	}

	private static Process contender(int port, String key, Path log) throws Exception {
		String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home")
				+ File.separator + "bin" + File.separator + "java");
		return new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp",
				System.getProperty("java.class.path"), RedisContender.class.getName(), Integer.toString(port), key,
				Integer.toString(THREADS), Integer.toString(ITERATIONS))
			.redirectErrorStream(true)
			.redirectOutput(log.toFile())
			.start();
	}

}
