package dev.locksmith.boot.integration;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.Backoff;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.provider.memory.MemoryLockProvider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Review cases for {@link LocksmithLockRegistry} on the in-memory provider: two engines on one provider
 * stand for two processes.
 */
class LocksmithLockRegistryReviewTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private final List<AutoCloseable> closeables = new ArrayList<>();

	private final MemoryLockProvider provider = new MemoryLockProvider();

	@AfterEach
	void close() throws Exception {
		for (int i = this.closeables.size() - 1; i >= 0; i--) {
			this.closeables.get(i).close();
		}
	}

	private LocksmithLockRegistry registry(Duration ttl) {
		return registry(ttl, Locksmith.libraryDefaults());
	}

	private LocksmithLockRegistry registry(Duration ttl, LockOptions serviceDefaults) {
		LockEngine engine = Locksmith.builder(this.provider).defaults(serviceDefaults).build();
		this.closeables.add(engine);
		LocksmithLockRegistry registry = new LocksmithLockRegistry(engine, "registry", ttl);
		this.closeables.add(registry);
		return registry;
	}

	@Test
	void tryLockWithATimeThrowsInterruptedExceptionWhenInterruptedWhileWaitingForTheBackend() throws Exception {
		LocksmithLockRegistry registry1 = registry(Duration.ofSeconds(30));
		LocksmithLockRegistry registry2 = registry(Duration.ofSeconds(30));
		Lock holder = registry1.obtain("foo");
		holder.lock();
		AtomicReference<Object> outcome = new AtomicReference<>();
		Thread waiter = new Thread(() -> {
			try {
				outcome.set(registry2.obtain("foo").tryLock(30, TimeUnit.SECONDS));
			}
			catch (Throwable ex) {
				outcome.set(ex);
			}
		});
		waiter.start();
		await().atMost(WAIT).until(() -> waiter.getState() == Thread.State.TIMED_WAITING
				|| waiter.getState() == Thread.State.WAITING);
		waiter.interrupt();
		waiter.join(WAIT.toMillis());
		assertThat(outcome.get()).as("Lock.tryLock(time, unit) reports an interrupt with InterruptedException")
			.isInstanceOf(InterruptedException.class);
		holder.unlock();
		assertThat(registry2.obtain("foo").tryLock()).as("the interrupted waiter holds nothing").isTrue();
		registry2.obtain("foo").unlock();
	}

	@Test
	void aThreadThatDiesHoldingALockDoesNotKeepItsLeaseRenewedForever() throws Exception {
		LocksmithLockRegistry registry1 = registry(Duration.ofMillis(600));
		LocksmithLockRegistry registry2 = registry(Duration.ofMillis(600));
		Thread dying = new Thread(() -> registry1.obtain("foo").lock());
		dying.start();
		dying.join(WAIT.toMillis());
		assertThat(dying.isAlive()).isFalse();
		// The other process gets the key once the dead holder's lease is no longer renewed and runs out.
		Lock other = registry2.obtain("foo");
		await().atMost(WAIT).pollInSameThread().until(() -> other.tryLock(100, TimeUnit.MILLISECONDS));
		other.unlock();
		// and this process's other threads too, through a fresh obtain()
		Lock again = registry1.obtain("foo");
		assertThat(again.tryLock(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
		again.unlock();
	}

	@Test
	void tryLockHonoursItsTimeAndUnlockFreesTheKeyWhateverTheServiceDefaults() throws Exception {
		// locksmith.retry.max-attempts=1 and a minimum hold are meant for @DistributedLock, not for Lock semantics
		LockOptions serviceDefaults = LockOptions.defaults()
			.withBackoff(Backoff.defaults().withMaxAttempts(1))
			.withMinHold(Duration.ofMinutes(5));
		LocksmithLockRegistry registry1 = registry(Duration.ofSeconds(30), serviceDefaults);
		LocksmithLockRegistry registry2 = registry(Duration.ofSeconds(30), serviceDefaults);
		Lock holder = registry1.obtain("foo");
		holder.lock();
		AtomicReference<Object> outcome = new AtomicReference<>();
		Thread waiter = new Thread(() -> {
			try {
				Lock lock = registry2.obtain("foo");
				boolean locked = lock.tryLock(30, TimeUnit.SECONDS);
				outcome.set(locked);
				if (locked) {
					lock.unlock();
				}
			}
			catch (Throwable ex) {
				outcome.set(ex);
			}
		});
		waiter.start();
		await().atMost(WAIT).until(() -> !waiter.isAlive() || waiter.getState() == Thread.State.TIMED_WAITING
				|| waiter.getState() == Thread.State.WAITING);
		holder.unlock();
		waiter.join(WAIT.toMillis());
		assertThat(outcome.get()).as("tryLock(30 s) waits for the holder's unlock").isEqualTo(true);
		assertThat(registry1.obtain("foo").tryLock()).as("unlock frees the key at once").isTrue();
		registry1.obtain("foo").unlock();
	}

}
