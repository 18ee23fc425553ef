package dev.locksmith.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.locksmith.LockAlreadyHeldException;
import dev.locksmith.LockHandle;
import dev.locksmith.LockLostException;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.MultiLockHandle;
import dev.locksmith.ReleaseOutcome;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.spi.LockProvider;
import dev.locksmith.tck.ForwardingLockProvider;
import dev.locksmith.testsupport.ManualClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Multi-key locks on the in-memory backend: the shared cases, plus the engine's own rules (ordering,
 * duplicates, one release, loss, bad input).
 */
class MultiLockTests extends AbstractMultiLockTests {

	private final MemoryLockProvider memory = new MemoryLockProvider();

	@Override
	protected LockProvider newProvider() {
		return this.memory;
	}

	private static final LockOptions NO_WAIT = LockOptions.waitTime(Duration.ZERO);

	@Test
	void duplicatesAreMergedAndKeysSorted() {
		try (MultiLockHandle set = this.a.acquireAll(List.of("b", "a", "b", "c", "a"), NO_WAIT)) {
			assertThat(set.keys()).containsExactly("a", "b", "c");
			assertThat(set.handles()).extracting(LockHandle::key).containsExactly("a", "b", "c");
			assertThat(set.fencingTokens()).containsOnlyKeys("a", "b", "c");
			assertThat(set.handle("b").fencingToken()).isEqualTo(set.fencingToken("b"));
			assertThat(this.a.activeLockCount()).isEqualTo(3);
			assertThatIllegalArgumentException().isThrownBy(() -> set.fencingToken("d"))
				.withMessageContaining("not one of the keys");
		}
		assertThat(this.a.activeLockCount()).isZero();
	}

	@Test
	void oneReleaseReleasesEveryKeyOnce() {
		MultiLockHandle set = this.a.acquireAll(List.of("a", "b"), NO_WAIT);
		assertThat(set.isValid()).isTrue();
		assertThat(set.release()).isEqualTo(ReleaseOutcome.RELEASED);
		assertThat(this.b.isLocked("a") || this.b.isLocked("b")).isFalse();
		assertThat(set.release()).isEqualTo(ReleaseOutcome.ALREADY_RELEASED);
		assertThat(set.isValid()).isFalse();
		set.close(); // no-op
		assertThat(this.a.statistics().released()).isEqualTo(2);
	}

	@Test
	void keysAlreadyHeldByThisThreadFailFastAndReleaseWhatWasTaken() {
		try (LockHandle held = this.a.acquire("b", NO_WAIT)) {
			assertThatExceptionOfType(LockAlreadyHeldException.class)
				.isThrownBy(() -> this.a.acquireAll(List.of("a", "b", "c"), NO_WAIT));
			assertThat(this.b.isLocked("a")).isFalse();
			assertThat(this.a.activeLockCount()).isEqualTo(1);
		}
	}

	@Test
	void anActionThatThrowsReleasesEveryKey() {
		assertThatExceptionOfType(IllegalStateException.class).isThrownBy(() -> this.a.withLocks(List.of("a", "b"),
				NO_WAIT, () -> {
					throw new IllegalStateException("boom");
				}));
		assertThat(this.a.activeLockCount()).isZero();
		assertThat(this.b.isLocked("a") || this.b.isLocked("b")).isFalse();
	}

	@Test
	void anOutageOnALaterKeyReleasesTheKeysAlreadyTaken() {
		ForwardingLockProvider down = new ForwardingLockProvider(this.memory) {
			@Override
			public dev.locksmith.spi.Grant acquire(dev.locksmith.spi.LeaseRequest request) {
				if (request.key().endsWith("c")) {
					throw new dev.locksmith.LockProviderUnavailableException(request.key(), "backend down for c", null);
				}
				return super.acquire(request);
			}
		};
		try (LockEngine engine = Locksmith.builder(down).keyPrefix("multi:").build()) {
			assertThatExceptionOfType(dev.locksmith.LockProviderUnavailableException.class)
				.isThrownBy(() -> engine.acquireAll(List.of("a", "b", "c"), NO_WAIT));
			assertThat(engine.activeLockCount()).isZero();
			assertThat(this.b.isLocked("a") || this.b.isLocked("b")).as("nothing left held").isFalse();
		}
	}

	@Test
	void anInterruptWhileWaitingForALaterKeyReleasesTheKeysAlreadyTaken() throws Exception {
		try (LockHandle other = this.b.acquire("b", NO_WAIT)) {
			java.util.concurrent.CompletableFuture<Throwable> failure = new java.util.concurrent.CompletableFuture<>();
			Thread thread = new Thread(() -> {
				try {
					this.a.acquireAll(List.of("a", "b"), LockOptions.waitTime(Duration.ofSeconds(60)));
					failure.complete(null);
				}
				catch (Throwable ex) {
					failure.complete(ex);
				}
			});
			thread.start();
			org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> this.b.isLocked("a"));
			thread.interrupt();
			assertThat(failure.get(10, java.util.concurrent.TimeUnit.SECONDS)).isNotNull();
			thread.join(10_000);
			assertThat(this.a.activeLockCount()).isZero();
			assertThat(this.b.isLocked("a")).as("the first key was given back").isFalse();
		}
	}

	@Test
	void theLossOfAnyKeyIsReportedOnce() {
		ManualClock clock = new ManualClock();
		MemoryLockProvider provider = new MemoryLockProvider(clock);
		try (LockEngine engine = Locksmith.builder(provider).clock(clock).callbackExecutor(Runnable::run)
			.backgroundRenewal(false)
			.build()) {
			MultiLockHandle set = engine.acquireAll(List.of("a", "b", "c"), LockOptions.ttl(Duration.ofSeconds(30))
				.withAutoExtend(true)
				.withWaitTime(Duration.ZERO));
			AtomicInteger lost = new AtomicInteger();
			set.onLost(lost::incrementAndGet);
			provider.forceRelease("b");
			provider.forceRelease("c");
			clock.advance(Duration.ofSeconds(11));
			engine.runDueRenewals();
			assertThat(lost).as("two keys lost, one report").hasValue(1);
			assertThat(set.isValid()).isFalse();
			assertThat(set.handle("a").isValid()).isTrue();
			assertThatExceptionOfType(LockLostException.class).isThrownBy(set::close)
				.withMessageContaining("lost");
			assertThat(engine.isLocked("a")).as("the key still held was released by close").isFalse();
		}
	}

	@Test
	void badInputIsRejectedAtOnce() {
		assertThatIllegalArgumentException().isThrownBy(() -> this.a.acquireAll(List.of(), NO_WAIT))
			.withMessageContaining("acquireAll")
			.withMessageContaining("empty");
		assertThatIllegalArgumentException().isThrownBy(() -> this.a.acquireAll(Arrays.asList("a", null), NO_WAIT))
			.withMessageContaining("keys[1]");
		assertThatIllegalArgumentException().isThrownBy(() -> this.a.withLocks(List.of("a", " "), NO_WAIT, () -> 1))
			.withMessageContaining("withLocks");
		List<String> tooMany = new ArrayList<>();
		for (int i = 0; i <= MultiLockHandle.MAX_KEYS; i++) {
			tooMany.add("k" + i);
		}
		Collections.shuffle(tooMany);
		assertThatIllegalArgumentException().isThrownBy(() -> this.a.tryAcquireAll(tooMany, NO_WAIT))
			.withMessageContaining("at most " + MultiLockHandle.MAX_KEYS);
		assertThat(this.a.activeLockCount()).isZero();
	}

}
