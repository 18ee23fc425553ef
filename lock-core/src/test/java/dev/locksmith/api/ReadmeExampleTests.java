package dev.locksmith.api;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import dev.locksmith.DistributedSemaphore;
import dev.locksmith.LockHandle;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.MultiLockHandle;
import dev.locksmith.MutexService;
import dev.locksmith.provider.memory.MemoryLockProvider;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The core example of README.md and docs/core-api.md, compiled and run: {@code DocsSnippetTests} checks
 * that both show the text between the markers here; if one changes, change the other.
 */
class ReadmeExampleTests {

	@Test
	void theReadmeExampleRuns() {
		// --- docs: core example (begin) ---
		MutexService locks = Locksmith.builder(new MemoryLockProvider()).build();

		String token = locks.withLock("user:42", () -> "refreshed");                 // wait, run, release
		Optional<String> report = locks.tryWithLock("report", Duration.ZERO, () -> "done"); // empty if busy

		try (LockHandle lock = locks.acquire("job:7", LockOptions.ttl(Duration.ofMinutes(5)))) {
			long fence = lock.fencingToken();        // strictly increasing per key: pass it to storage
			lock.onLost(() -> System.err.println("lost job:7"));
		}

		try (LockHandle read = locks.readWrite("config").read()) { /* many readers, or one writer */ }
		DistributedSemaphore pool = locks.semaphore("db-conns", 10);
		try (LockHandle permits = pool.acquire(2)) {  /* at most 10 permits across all instances */
			permits.releasePermits(1);                 // give one back now, keep (and renew) the other
		}

		CompletableFuture<String> sent = locks.withLockAsync("mail:7",
				() -> CompletableFuture.supplyAsync(() -> "sent"));           // held until the stage completes

		try (MultiLockHandle both = locks.acquireAll(List.of("account:2", "account:1"), LockOptions.defaults())) {
			long fence1 = both.fencingToken("account:1");   // sorted, all or nothing, one token per key
		}
		// --- docs: core example (end) ---

		assertThat(sent.join()).isEqualTo("sent");
		assertThat(token).isEqualTo("refreshed");
		assertThat(report).contains("done");
		assertThat(locks.activeLockCount()).isZero();
		assertThat(pool.available()).isEqualTo(10);
		assertThat(locks.isLocked("mail:7")).isFalse();
		assertThat(locks.isLocked("account:1") || locks.isLocked("account:2")).isFalse();
	}

}
