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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
	void everyAcquirePathOpensAndEndsExactlyOneObservationEvenWhenTheLockedCodeThrows() throws Exception {
		assertThatThrownBy(() -> this.engine.withLock("k", () -> {
			throw new IllegalStateException("boom");
		})).hasMessage("boom");
		assertThat(this.memory.inspect("k").isLocked()).isFalse();
		this.engine.tryWithLock("k", LockOptions.defaults(), () -> null);
		this.engine.acquire("k").release();
		this.engine.tryAcquire("k").orElseThrow().release();
		this.engine.readWrite("rw").read().release();
		this.engine.readWrite("rw").write().release();
		this.engine.semaphore("s", 2).acquire(1).release();
		assertThat(this.recorder.log).filteredOn((line) -> line.startsWith("acquiring")).hasSize(7);
		assertThat(this.recorder.log).filteredOn((line) -> line.startsWith("acquired")).hasSize(7);
		assertThat(this.recorder.log).filteredOn((line) -> line.startsWith("ended")).hasSize(7)
			.allMatch((line) -> line.endsWith("released"));
		assertThat(this.recorder.log).filteredOn((line) -> line.startsWith("open")).hasSize(2);
		assertThat(this.recorder.log).filteredOn((line) -> line.startsWith("close")).hasSize(2);
	}

	@Test
	void aListenerOrObserverThatBlocksDoesNotDelayRenewals() throws Exception {
		java.util.concurrent.CountDownLatch stuck = new java.util.concurrent.CountDownLatch(1);
		LockObserver blockingObserver = (request) -> {
			try {
				stuck.await(); // blocks the acquiring thread only
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			return LockObserver.Acquisition.NONE;
		};
		try (LockEngine service = Locksmith.builder(new MemoryLockProvider())
			.listener((event) -> {
				if (event.type() == dev.locksmith.LockEvent.Type.RENEWED) {
					try {
						stuck.await(); // blocks the callback executor
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
				}
			})
			.observer((request) -> request.key().equals("blocked") ? blockingObserver.acquiring(request)
					: LockObserver.Acquisition.NONE)
			.build()) {
			LockHandle handle = service.acquire("k", LockOptions.ttl(Duration.ofMillis(300)).withAutoExtend(true));
			CompletableFuture<LockHandle> blocked = CompletableFuture.supplyAsync(() -> service.acquire("blocked"));
			org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> handle.renewals() >= 5);
			assertThat(handle.isValid()).isTrue();
			stuck.countDown();
			blocked.get(10, TimeUnit.SECONDS).release();
			handle.release();
		}
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
	void anObserverThatThrowsAnErrorIsTreatedLikeAListenerThatDoes() throws Exception {
		// an AssertionError or a NoClassDefFoundError from instrumentation must not fail locking either
		List<dev.locksmith.LockEvent> events = new CopyOnWriteArrayList<>();
		LockObserver erring = (request) -> new LockObserver.Acquisition() {

			@Override
			public LockObserver.Hold acquired(LockHandle handle) {
				if (handle.key().equals("grant")) {
					throw new AssertionError("broken grant");
				}
				return new LockObserver.Hold() {

					@Override
					public LockObserver.Scope openScope() {
						throw new NoClassDefFoundError("broken scope");
					}

					@Override
					public void ended(@Nullable Throwable error) {
						throw new AssertionError("broken end");
					}

				};
			}

			@Override
			public void failed(@Nullable Throwable error) {
				throw new AssertionError("broken failure");
			}

		};
		try (LockEngine service = Locksmith.builder(this.memory)
			.clock(this.clock)
			.observer(erring)
			.listener(events::add)
			.build()) {
			assertThat(service.withLock("grant", () -> "ran")).isEqualTo("ran");
			assertThat(service.withLock("k", () -> "ran")).isEqualTo("ran");
			assertThat(this.memory.inspect("k").isLocked()).isFalse();
			LockHandle held = service.acquire("k");
			assertThat(CompletableFuture.supplyAsync(() -> service.tryAcquire("k")).get(10, TimeUnit.SECONDS)).isEmpty();
			assertThat(held.release()).isEqualTo(ReleaseOutcome.RELEASED);
			// a loss: the observer's error must not swallow the LOST event
			service.acquire("lost", LockOptions.ttl(Duration.ofSeconds(3)));
			this.clock.advance(Duration.ofSeconds(4));
			service.runDueRenewals();
			org.awaitility.Awaitility.await()
				.atMost(Duration.ofSeconds(10))
				.until(() -> events.stream().anyMatch((event) -> event.type() == dev.locksmith.LockEvent.Type.LOST));
		}
		assertThat(events).extracting(dev.locksmith.LockEvent::type)
			.filteredOn((type) -> type == dev.locksmith.LockEvent.Type.RELEASED)
			.hasSize(3);
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
