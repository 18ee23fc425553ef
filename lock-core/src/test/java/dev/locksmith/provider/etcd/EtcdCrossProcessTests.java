package dev.locksmith.provider.etcd;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.Client;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.testsupport.EtcdTestServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two separate JVMs and this one contend for one etcd lock; a counter in etcd updated by read-sleep-write
 * without a transaction ends exact, and every holder's fencing token exceeds the previous holder's.
 */
class EtcdCrossProcessTests {

	private static final int THREADS = 3;

	private static final int ITERATIONS = 15;

	@Test
	void twoJvmsAndThisOneNeverHoldTheLockTogether(@TempDir Path logs) throws Exception {
		EtcdTestServer.assumeInstalled();
		String key = "counter";
		try (EtcdTestServer etcd = new EtcdTestServer()) {
			List<Process> processes = new ArrayList<>();
			for (int i = 0; i < 2; i++) {
				processes.add(contender(etcd.endpoint(), key, logs.resolve("contender-" + i + ".log")));
			}
			Client client = etcd.client();
			try (EtcdLockProvider provider = EtcdLockProvider.builder(client).build();
					LockEngine locks = Locksmith.builder(provider).keyPrefix("xproc:").build()) {
				for (int i = 0; i < ITERATIONS; i++) {
					try (LockHandle handle = locks.acquire(key, LockOptions.waitTime(Duration.ofSeconds(120)))) {
						EtcdContender.criticalSection(client.getKVClient(), key, handle.fencingToken());
					}
				}
				for (int i = 0; i < processes.size(); i++) {
					Process process = processes.get(i);
					assertThat(process.waitFor(4, TimeUnit.MINUTES)).as("contender %d finished", i).isTrue();
					assertThat(process.exitValue()).as("contender %d: %s", i,
							Files.readString(logs.resolve("contender-" + i + ".log"))).isZero();
				}
				long counter = EtcdContender.read(
						client.getKVClient().get(EtcdContender.bytes("xproc-counter/" + key)).get(10, TimeUnit.SECONDS));
				assertThat(counter).as("no lost update").isEqualTo(2L * THREADS * ITERATIONS + ITERATIONS);
			}
			finally {
				processes.forEach(Process::destroyForcibly);
				client.close();
			}
		}
	}

	private static Process contender(String endpoint, String key, Path log) throws Exception {
		String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home")
				+ File.separator + "bin" + File.separator + "java");
		return new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp",
				System.getProperty("java.class.path"), EtcdContender.class.getName(), endpoint, key,
				Integer.toString(THREADS), Integer.toString(ITERATIONS))
			.redirectErrorStream(true)
			.redirectOutput(log.toFile())
			.start();
	}

}
