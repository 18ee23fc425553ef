package dev.locksmith.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.locksmith.LockHandle;
import dev.locksmith.LockInfo;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.MultiLockHandle;
import dev.locksmith.leader.LeaderElection;
import dev.locksmith.provider.memory.MemoryLockProvider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The key prefix is added exactly once on every path to the backend and removed exactly once on the way
 * back, also for an empty prefix and for keys that themselves start with the prefix text.
 */
class KeyPrefixTests {

	private final MemoryLockProvider memory = new MemoryLockProvider();

	@ParameterizedTest
	@ValueSource(strings = { "app:", "" })
	void everyPathAddsThePrefixOnceAndListRemovesItOnce(String prefix) throws Exception {
		LockOptions options = LockOptions.ttl(Duration.ofSeconds(30));
		try (LockEngine locks = Locksmith.builder(this.memory).keyPrefix(prefix).build()) {
			List<LockHandle> held = new ArrayList<>();
			held.add(locks.acquire("app:plain", options));
			held.add(locks.tryAcquire("try", options).orElseThrow());
			held.add(locks.readWrite("rw").read(options));
			held.add(locks.semaphore("sem", 3).acquire(1, options));
			MultiLockHandle multi = locks.acquireAll(List.of("m2", "app:m1"), options);
			CompletableFuture<String> stage = new CompletableFuture<>();
			CompletableFuture<String> async = locks.withLockAsync("async", () -> stage);
			await().atMost(Duration.ofSeconds(10)).until(() -> locks.isLocked("async"));
			try (LeaderElection election = LeaderElection.builder(locks, "jobs").build()) {
				election.start();
				await().atMost(Duration.ofSeconds(10)).until(election::isLeader);
				List<String> callerKeys = List.of("app:plain", "try", "rw", "sem", "m2", "app:m1", "async",
						LeaderElection.KEY_PREFIX + "jobs");
				assertThat(this.memory.list("", 0, 100).locks()).extracting(LockInfo::key)
					.as("backend keys")
					.containsExactlyInAnyOrderElementsOf(callerKeys.stream().map((key) -> prefix + key).toList());
				assertThat(locks.list(0, 100).locks()).extracting(LockInfo::key)
					.as("listed keys").containsExactlyInAnyOrderElementsOf(callerKeys);
				assertThat(locks.list("app:", 0, 100).locks()).extracting(LockInfo::key)
					.containsExactlyInAnyOrder("app:plain", "app:m1");
				assertThat(locks.heldLocks()).extracting(LockHandle::key)
					.containsExactlyInAnyOrderElementsOf(callerKeys);
				for (String key : callerKeys) {
					assertThat(locks.isLocked(key)).as("isLocked(%s)", key).isTrue();
					assertThat(locks.inspect(key).key()).isEqualTo(key);
					if (!prefix.isEmpty()) {
						assertThat(locks.isLocked(prefix + key)).as("the prefix is not added twice").isFalse();
					}
				}
				assertThat(locks.forceRelease("app:plain")).isTrue();
				assertThat(this.memory.inspect(prefix + "app:plain").isLocked()).isFalse();
			}
			stage.complete("done");
			assertThat(async.get()).isEqualTo("done");
			multi.release();
			held.forEach(LockHandle::release);
			assertThat(this.memory.list("", 0, 100).locks()).isEmpty();
		}
	}

}
