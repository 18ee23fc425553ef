package dev.locksmith.provider.kubernetes;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.provider.kubernetes.KubernetesLockProvider.ObjectKind;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two separate JVMs and this one contend for one lock (a Lease, then a Mutex) on the mock API server; a counter
 * in a ConfigMap, updated by read-wait-write without a resourceVersion, ends exact, and every holder's fencing
 * token exceeds the previous holder's.
 */
class KubernetesCrossProcessTests {

	private static final int THREADS = 3;

	private static final int ITERATIONS = 10;

	@ParameterizedTest
	@EnumSource(ObjectKind.class)
	void twoJvmsAndThisOneNeverHoldTheLockTogether(ObjectKind kind, @TempDir Path logs) throws Exception {
		String key = "counter";
		try (MockApiServer server = new MockApiServer(); KubernetesClient client = server.client()) {
			List<Process> processes = new ArrayList<>();
			try (KubernetesLockProvider provider = KubernetesLockProvider.builder(client).resource(kind).build();
					LockEngine locks = Locksmith.builder(provider).keyPrefix("xproc:").build()) {
				for (int i = 0; i < 2; i++) {
					processes.add(contender(client.getMasterUrl().toString(), key, kind,
							logs.resolve("contender-" + i + ".log")));
				}
				for (int i = 0; i < ITERATIONS; i++) {
					try (LockHandle handle = locks.acquire(key, LockOptions.waitTime(Duration.ofSeconds(120)))) {
						KubernetesContender.criticalSection(client, key, handle.fencingToken());
					}
				}
				for (int i = 0; i < processes.size(); i++) {
					Process process = processes.get(i);
					assertThat(process.waitFor(4, TimeUnit.MINUTES)).as("contender %d finished", i).isTrue();
					assertThat(process.exitValue()).as("contender %d: %s", i,
							Files.readString(logs.resolve("contender-" + i + ".log"))).isZero();
				}
				String counter = client.configMaps().withName("counter-" + key).get().getData().get("counter");
				assertThat(Long.parseLong(counter)).as("no lost update").isEqualTo(2L * THREADS * ITERATIONS + ITERATIONS);
			}
			finally {
				processes.forEach(Process::destroyForcibly);
			}
		}
	}

	private static Process contender(String masterUrl, String key, ObjectKind kind, Path log) throws Exception {
		String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home")
				+ File.separator + "bin" + File.separator + "java");
		return new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp",
				System.getProperty("java.class.path"), KubernetesContender.class.getName(), masterUrl, key,
				Integer.toString(THREADS), Integer.toString(ITERATIONS), kind.name())
			.redirectErrorStream(true)
			.redirectOutput(log.toFile())
			.start();
	}

}
