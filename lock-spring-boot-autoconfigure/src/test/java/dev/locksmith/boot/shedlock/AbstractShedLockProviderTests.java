package dev.locksmith.boot.shedlock;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.core.SimpleLock;
import org.junit.jupiter.api.Test;

import dev.locksmith.MutexService;
import dev.locksmith.boot.shedlock.LocksmithShedLockProvider.LocksmithSimpleLock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * The expectations of ShedLock's own provider test kit ({@code shedlock-test-support}, not published to
 * Maven Central), restated for {@link LocksmithShedLockProvider}: lock, refuse a second lock, independent
 * names, relock after unlock, {@code lockAtMostFor} expiry, {@code lockAtLeastFor} after unlock, extension
 * rules, and a fuzz test whose unsynchronised counter must lose no update. Time passes through
 * {@link #advance} (a manual clock) and Awaitility, never a sleep.
 */
abstract class AbstractShedLockProviderTests {

	private static final String NAME = "name";

	private static final Duration WAIT = Duration.ofSeconds(10);

	/** Returns the lock service the provider runs on. */
	protected abstract MutexService locks();

	/** Moves the backend's time forward, if the test controls it (a manual clock). */
	protected abstract void advance(Duration duration);

	private LockProvider provider() {
		return new LocksmithShedLockProvider(locks());
	}

	private static LockConfiguration config(String name, Duration atMost, Duration atLeast) {
		return new LockConfiguration(Instant.now(), name, atMost, atLeast);
	}

	private static LockConfiguration config(String name) {
		return config(name, Duration.ofMinutes(5), Duration.ZERO);
	}

	private boolean isLocked(String name) {
		return locks().isLocked(LocksmithShedLockProvider.KEY_PREFIX + name);
	}

	private void awaitUnlocked(String name) {
		await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> !isLocked(name));
	}

	@Test
	void locksAndUnlocks() {
		Optional<SimpleLock> lock = provider().lock(config(NAME));
		assertThat(lock).isPresent();
		assertThat(isLocked(NAME)).isTrue();
		lock.get().unlock();
		assertThat(isLocked(NAME)).isFalse();
	}

	@Test
	void refusesASecondLockOfTheSameName() {
		SimpleLock lock = provider().lock(config(NAME)).orElseThrow();
		assertThat(provider().lock(config(NAME))).isEmpty();
		lock.unlock();
	}

	@Test
	void namesAreIndependent() {
		SimpleLock first = provider().lock(config(NAME)).orElseThrow();
		SimpleLock second = provider().lock(config("other")).orElseThrow();
		first.unlock();
		second.unlock();
	}

	@Test
	void relocksRightAfterUnlockWithIncreasingFencingTokens() {
		long last = 0;
		for (int i = 0; i < 10; i++) {
			SimpleLock lock = provider().lock(config(NAME)).orElseThrow();
			assertThat(provider().lock(config(NAME))).isEmpty();
			long token = ((LocksmithSimpleLock) lock).fencingToken();
			assertThat(token).isGreaterThan(last);
			last = token;
			lock.unlock();
		}
	}

	@Test
	void lockAtMostForExpires() {
		assertThat(provider().lock(config(NAME, Duration.ofMillis(200), Duration.ZERO))).isPresent();
		advance(Duration.ofMillis(250));
		awaitUnlocked(NAME);
		provider().lock(config(NAME, Duration.ofMillis(200), Duration.ZERO)).orElseThrow().unlock();
	}

	@Test
	void lockAtLeastForKeepsTheLockAfterUnlock() {
		provider().lock(config(NAME, Duration.ofSeconds(4), Duration.ofMillis(800))).orElseThrow().unlock();
		assertThat(provider().lock(config(NAME))).as("lockAtLeastFor has not passed").isEmpty();
		advance(Duration.ofMillis(850));
		awaitUnlocked(NAME);
		provider().lock(config(NAME)).orElseThrow().unlock();
	}

	@Test
	void anExtendedLockOutlivesItsFirstLockAtMostFor() {
		SimpleLock lock = provider().lock(config(NAME, Duration.ofMillis(500), Duration.ZERO)).orElseThrow();
		SimpleLock extended = lock.extend(Duration.ofSeconds(10), Duration.ZERO).orElseThrow();
		advance(Duration.ofMillis(600));
		await().during(Duration.ofMillis(700)).atMost(WAIT).until(() -> isLocked(NAME));
		extended.unlock();
		assertThat(isLocked(NAME)).isFalse();
	}

	@Test
	void anUnlockedLockCannotBeExtended() {
		SimpleLock lock = provider().lock(config(NAME, Duration.ofSeconds(1), Duration.ZERO)).orElseThrow();
		lock.unlock();
		assertThatIllegalStateException().isThrownBy(() -> lock.extend(Duration.ofSeconds(10), Duration.ZERO));
		assertThat(isLocked(NAME)).isFalse();
	}

	@Test
	void anExpiredLockIsNotExtended() {
		SimpleLock lock = provider().lock(config(NAME, Duration.ofMillis(50), Duration.ZERO)).orElseThrow();
		advance(Duration.ofMillis(100));
		awaitUnlocked(NAME);
		assertThat(lock.extend(Duration.ofSeconds(10), Duration.ZERO)).isEmpty();
		assertThat(isLocked(NAME)).isFalse();
	}

	@Test
	void anExtensionCanSetANewLockAtLeastFor() {
		SimpleLock lock = provider().lock(config(NAME, Duration.ofSeconds(10), Duration.ZERO)).orElseThrow();
		lock.extend(Duration.ofSeconds(10), Duration.ofSeconds(9)).orElseThrow().unlock();
		assertThat(isLocked(NAME)).isTrue();
	}

	@Test
	void aLockIsSpentOnceExtended() {
		SimpleLock lock = provider().lock(config(NAME, Duration.ofSeconds(10), Duration.ZERO)).orElseThrow();
		SimpleLock extended = lock.extend(Duration.ofSeconds(10), Duration.ZERO).orElseThrow();
		assertThatIllegalStateException().isThrownBy(() -> lock.extend(Duration.ofSeconds(10), Duration.ZERO));
		assertThatIllegalStateException().isThrownBy(lock::unlock);
		extended.unlock();
		assertThatIllegalStateException().isThrownBy(extended::unlock);
	}

	@Test
	void aNonPositiveLockAtMostForIsRejected() {
		assertThatIllegalArgumentException().isThrownBy(() -> provider().lock(config(NAME, Duration.ZERO, Duration.ZERO)))
			.withMessageContaining("lockAtMostFor");
	}

	@Test
	void fuzzTestLosesNoUpdate() throws Exception {
		LockProvider provider = provider();
		int threads = 4;
		int rounds = 25;
		long[] counter = new long[1];
		ExecutorService executor = Executors.newFixedThreadPool(threads);
		try {
			List<Future<?>> futures = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				futures.add(executor.submit(() -> {
					int done = 0;
					while (done < rounds) {
						Optional<SimpleLock> lock = provider.lock(config("fuzz", Duration.ofMinutes(1), Duration.ZERO));
						if (lock.isEmpty()) {
							Thread.yield();
							continue;
						}
						long read = counter[0];
						Thread.yield();
						counter[0] = read + 1;
						lock.get().unlock();
						done++;
					}
					return null;
				}));
			}
			for (Future<?> future : futures) {
				future.get(2, TimeUnit.MINUTES);
			}
		}
		finally {
			executor.shutdownNow();
		}
		assertThat(counter[0]).isEqualTo((long) threads * rounds);
	}

}
