package dev.locksmith.provider.kubernetes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;

/**
 * A separate JVM for {@link KubernetesCrossProcessTests}: {@code THREADS} threads each take the lock
 * {@code ITERATIONS} times and, holding it, run {@link #criticalSection}. Exits 0 on success, 1 when a fencing
 * token went backwards.
 */
final class KubernetesContender {

	private KubernetesContender() {
	}

	/**
	 * Runs the contender.
	 * @param args master URL, key, threads, iterations, object kind (LEASE or MUTEX)
	 * @throws Exception on failure
	 */
	public static void main(String[] args) throws Exception {
		String masterUrl = args[0];
		String key = args[1];
		int threads = Integer.parseInt(args[2]);
		int iterations = Integer.parseInt(args[3]);
		try (KubernetesClient client = client(masterUrl);
				KubernetesLockProvider provider = KubernetesLockProvider.builder(client)
					.resource(KubernetesLockProvider.ObjectKind.valueOf(args[4]))
					.build();
				LockEngine locks = Locksmith.builder(provider).keyPrefix("xproc:").build()) {
			List<Thread> workers = new ArrayList<>();
			List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
			for (int t = 0; t < threads; t++) {
				Thread worker = new Thread(() -> {
					try {
						for (int i = 0; i < iterations; i++) {
							try (LockHandle handle = locks.acquire(key, LockOptions.waitTime(Duration.ofSeconds(120)))) {
								criticalSection(client, key, handle.fencingToken());
							}
						}
					}
					catch (Throwable ex) {
						failures.add(ex);
					}
				});
				worker.start();
				workers.add(worker);
			}
			for (Thread worker : workers) {
				worker.join();
			}
			if (!failures.isEmpty()) {
				failures.forEach(Throwable::printStackTrace);
				System.exit(1);
			}
		}
		System.exit(0);
	}

	static KubernetesClient client(String masterUrl) {
		return new KubernetesClientBuilder()
			.withConfig(new ConfigBuilder().withMasterUrl(masterUrl).withNamespace("test").withTrustCerts(true).build())
			.build();
	}

	/**
	 * Reads the counter ConfigMap, checks the token exceeds the last holder's, waits, and writes counter + 1
	 * unconditionally (no resourceVersion): only the lock keeps updates from being lost.
	 */
	static void criticalSection(KubernetesClient client, String key, long token) {
		String name = "counter-" + key;
		ConfigMap current = client.configMaps().withName(name).get();
		long counter = (current != null) ? Long.parseLong(current.getData().get("counter")) : 0;
		long lastToken = (current != null) ? Long.parseLong(current.getData().get("token")) : 0;
		if (token <= lastToken) {
			throw new IllegalStateException("fencing token " + token + " does not exceed the last holder's " + lastToken);
		}
		LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
		ConfigMap next = new ConfigMapBuilder().withNewMetadata().withName(name).endMetadata()
			.withData(Map.of("counter", Long.toString(counter + 1), "token", Long.toString(token)))
			.build();
		if (current == null) {
			client.configMaps().resource(next).create();
		}
		else {
			client.configMaps().resource(next).update();
		}
	}

}
