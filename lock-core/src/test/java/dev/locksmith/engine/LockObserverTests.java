package dev.locksmith.engine;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.LockHandle;
import dev.locksmith.LockLostException;
import dev.locksmith.LockObserver;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.ReleaseOutcome;
import dev.locksmith.provider.memory.MemoryLockProvider;
import dev.locksmith.testsupport.ManualClock;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's one instrumentation hook: every acquisition and hold of a handle, whatever API started it,
 * is seen once, the hold is current while {@code withLock} runs its action, a loss ends it off the renewal
 * thread, and an observer that throws never breaks locking.
 */
class LockObserverTests {

	private final ManualClock clock = new ManualClock();

	private final MemoryLockProvider memory = new MemoryLockProvider(this.clock);

	private final Recorder recorder = new Recorder();

	private final LockEngine engine = Locksmith.builder(this.memory)
		.clock(this.clock)
		.observer(this.recorder)
		.build();

	@AfterEach
	void close() {
		this.engine.close();
	}

	@Test
	void withLockIsObservedOnceAndItsHoldIsCurrentWhileTheActionRuns() {
		String inside = this.engine.withLock("job:1", LockOptions.defaults().withName("job"),
				() -> String.join(",", this.recorder.log));
		assertThat(inside).isEqualTo("acquiring job memory WRITE,acquired job,open job");
		assertThat(this.recorder.log).containsExactly("acquiring job memory WRITE", "acquired job", "open job",
				"close job", "ended job released");
	}

	@Test
	void aDeniedTryAcquireIsAFailedAcquisitionWithoutError() throws Exception {
		LockHandle held = CompletableFuture.supplyAsync(() -> this.engine.acquire("k")).get(10, TimeUnit.SECONDS);
		this.recorder.log.clear();
		assertThat(this.engine.tryAcquire("k")).isEmpty();
		assertThat(this.recorder.log).containsExactly("acquiring default memory WRITE", "failed null");
		held.release();
	}

	@Test
	void aLostLeaseEndsItsHoldWithLockLostExceptionOffTheRenewalThread() throws Exception {
		LockHandle handle = this.engine.acquire("k", LockOptions.ttl(Duration.ofSeconds(3)));
		this.clock.advance(Duration.ofSeconds(4));
		this.engine.runDueRenewals();
		Throwable error = this.recorder.ended.get(10, TimeUnit.SECONDS);
		assertThat(error).isInstanceOf(LockLostException.class).hasMessageContaining("TTL ran out");
		assertThat(this.recorder.endedOn).isNotEqualTo(Thread.currentThread().getName())
			.doesNotStartWith("locksmith-renewal");
		assertThat(handle.release()).isEqualTo(ReleaseOutcome.LOST);
		assertThat(this.recorder.log).filteredOn((line) -> line.startsWith("ended")).hasSize(1);
	}

	@Test
	void anObserverThatThrowsNeverBreaksLockingNorLeavesALeaseHeld() {
		LockObserver failing = (request) -> {
			throw new IllegalStateException("broken observer");
		};
		try (LockEngine service = Locksmith.builder(this.memory).clock(this.clock).observer(failing).build()) {
			assertThat(service.withLock("k", () -> "ran")).isEqualTo("ran");
			assertThat(this.memory.inspect("k").isLocked()).isFalse();
		}
		LockObserver failingHold = (request) -> new LockObserver.Acquisition() {

			@Override
			public LockObserver.Hold acquired(LockHandle handle) {
				throw new IllegalStateException("broken hold");
			}

			@Override
			public void failed(@Nullable Throwable error) {
				throw new IllegalStateException("broken failure");
			}

		};
		try (LockEngine service = Locksmith.builder(this.memory).clock(this.clock).observer(failingHold).build()) {
			assertThat(service.withLock("k", () -> "ran")).isEqualTo("ran");
			assertThat(this.memory.inspect("k").isLocked()).isFalse();
		}
	}

	@Test
	void aListenerThatReleasesTheHandleOnAcquiredLeavesNothingRegistered() {
		dev.locksmith.LockListener releasing = (event) -> {
			if (event.type() == dev.locksmith.LockEvent.Type.ACQUIRED) {
				event.handle().release();
			}
		};
		try (LockEngine service = Locksmith.builder(this.memory).clock(this.clock).listener(releasing).build()) {
			LockHandle handle = service.acquire("k");
			assertThat(handle.isValid()).isFalse();
			assertThat(service.heldLocks()).isEmpty();
			assertThat(service.activeLockCount()).isZero();
			assertThat(this.memory.inspect("k").isLocked()).isFalse();
		}
	}

	/** Logs what the engine tells it. */
	static final class Recorder implements LockObserver {

		final List<String> log = new CopyOnWriteArrayList<>();

		final CompletableFuture<@Nullable Throwable> ended = new CompletableFuture<>();

		volatile String endedOn = "";

		@Override
		public Acquisition acquiring(Request request) {
			this.log.add("acquiring " + request.name() + " " + request.provider() + " " + request.type());
			return new Acquisition() {

				@Override
				public Hold acquired(LockHandle handle) {
					Recorder.this.log.add("acquired " + handle.name());
					return new Hold() {

						@Override
						public Scope openScope() {
							Recorder.this.log.add("open " + handle.name());
							return () -> Recorder.this.log.add("close " + handle.name());
						}

						@Override
						public void ended(@Nullable Throwable error) {
							Recorder.this.log.add("ended " + handle.name() + " "
									+ ((error != null) ? error.getClass().getSimpleName() : "released"));
							Recorder.this.endedOn = Thread.currentThread().getName();
							Recorder.this.ended.complete(error);
						}

					};
				}

				@Override
				public void failed(@Nullable Throwable error) {
					Recorder.this.log.add("failed " + error);
				}

			};
		}

	}

}
