package dev.locksmith.provider.etcd;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.GetResponse;

import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;

/**
 * A separate JVM that contends for one etcd lock with several threads, for {@link EtcdCrossProcessTests}.
 * Exits 0 on success, 1 if anything failed (a fencing token that did not increase, a timeout).
 */
public final class EtcdContender {

	private EtcdContender() {
	}

	/**
	 * Runs the contender.
	 * @param args endpoint, lock key, threads, iterations per thread
	 * @throws Exception on failure
	 */
	public static void main(String[] args) throws Exception {
		String endpoint = args[0];
		String key = args[1];
		int threads = Integer.parseInt(args[2]);
		int iterations = Integer.parseInt(args[3]);
		int status = 0;
		Client client = Client.builder().endpoints(endpoint).build();
		try (EtcdLockProvider provider = EtcdLockProvider.builder(client).build();
				LockEngine locks = Locksmith.builder(provider).keyPrefix("xproc:").build()) {
			ExecutorService executor = Executors.newFixedThreadPool(threads);
			List<Future<?>> futures = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				futures.add(executor.submit(() -> {
					for (int i = 0; i < iterations; i++) {
						try (LockHandle handle = locks.acquire(key, LockOptions.waitTime(Duration.ofSeconds(120)))) {
							criticalSection(client.getKVClient(), key, handle.fencingToken());
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
			client.close();
		}
		System.exit(status);
	}

	/**
	 * The unsafe section: read-sleep-write of a shared counter in etcd (no transaction), plus a fencing check.
	 * @param kv the etcd KV client
	 * @param key the lock key
	 * @param token the holder's fencing token
	 * @throws Exception on failure
	 */
	static void criticalSection(KV kv, String key, long token) throws Exception {
		ByteSequence counterKey = bytes("xproc-counter/" + key);
		ByteSequence tokenKey = bytes("xproc-token/" + key);
		long lastToken = read(kv.get(tokenKey).get(10, TimeUnit.SECONDS));
		if (lastToken >= token) {
			throw new IllegalStateException("fencing token " + token + " does not exceed " + lastToken);
		}
		kv.put(tokenKey, bytes(Long.toString(token))).get(10, TimeUnit.SECONDS);
		long value = read(kv.get(counterKey).get(10, TimeUnit.SECONDS));
		LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(300));
		kv.put(counterKey, bytes(Long.toString(value + 1))).get(10, TimeUnit.SECONDS);
	}

	static long read(GetResponse response) {
		return response.getKvs().isEmpty() ? 0
				: Long.parseLong(response.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8));
	}

	static ByteSequence bytes(String text) {
		return ByteSequence.from(text, StandardCharsets.UTF_8);
	}

}
