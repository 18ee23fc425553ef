package dev.locksmith.boot.integration;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Lock;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.integration.leader.DefaultCandidate;
import org.springframework.integration.support.leader.LockRegistryLeaderInitiator;
import org.springframework.integration.support.locks.DistributedLock;

import dev.locksmith.Locksmith;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.provider.redis.RedisLockProvider;
import dev.locksmith.testsupport.RedisTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@link LocksmithLockRegistry} against the expectations of Spring Integration's own registry tests
 * (same lock per key, thread ownership, reentrancy, exclusion across registries, loss reported on unlock,
 * interruptible and uninterruptible waits, renewal, cache expiry) and under
 * {@code LockRegistryLeaderInitiator}. Two registries on two engines on a real Redis stand for two
 * processes.
 */
class LocksmithLockRegistryTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private static RedisTestServer redis;

	private static LettuceConnectionFactory factory;

	private final List<AutoCloseable> closeables = new ArrayList<>();

	private LockEngine engine1;

	private LockEngine engine2;

	private LocksmithLockRegistry registry1;

	private LocksmithLockRegistry registry2;

	@BeforeAll
	static void startRedis() {
		redis = new RedisTestServer();
		factory = redis.connectionFactory();
	}

	@AfterAll
	static void stopRedis() {
		factory.destroy();
		redis.close();
	}

	@BeforeEach
	void createRegistries() {
		String prefix = "si-test-" + System.nanoTime() + ":";
		this.engine1 = engine(prefix);
		this.engine2 = engine(prefix);
		this.registry1 = new LocksmithLockRegistry(this.engine1, "registry", Duration.ofSeconds(5));
		this.registry2 = new LocksmithLockRegistry(this.engine2, "registry", Duration.ofSeconds(5));
		this.closeables.add(this.registry1);
		this.closeables.add(this.registry2);
	}

	private LockEngine engine(String prefix) {
		RedisLockProvider provider = RedisLockProvider.builder(factory).build();
		LockEngine engine = Locksmith.builder(provider).keyPrefix(prefix).build();
		this.closeables.add(provider);
		this.closeables.add(engine);
		return engine;
	}

	@AfterEach
	void close() throws Exception {
		for (int i = this.closeables.size() - 1; i >= 0; i--) {
			this.closeables.get(i).close();
		}
	}

	@Test
	void obtainReturnsTheSameLockForTheSameKey() {
		assertThat(this.registry1.obtain("foo")).isSameAs(this.registry1.obtain("foo"));
		assertThat(this.registry1.obtain("foo")).isNotSameAs(this.registry1.obtain("bar"));
	}

	@Test
	void locksAreReentrantAndReleasedByTheLastUnlock() {
		Lock lock = this.registry1.obtain("foo");
		lock.lock();
		lock.lock();
		assertThat(this.engine1.isLocked("registry:foo")).isTrue();
		lock.unlock();
		assertThat(this.engine1.isLocked("registry:foo")).as("still held once").isTrue();
		assertThat(this.registry2.obtain("foo").tryLock()).isFalse();
		lock.unlock();
		assertThat(this.engine1.isLocked("registry:foo")).isFalse();
		Lock other = this.registry2.obtain("foo");
		assertThat(other.tryLock()).isTrue();
		other.unlock();
	}

	@Test
	void registriesExcludeEachOther() {
		Lock first = this.registry1.obtain("foo");
		Lock second = this.registry2.obtain("foo");
		assertThat(first.tryLock()).isTrue();
		assertThat(second.tryLock()).isFalse();
		first.unlock();
		assertThat(second.tryLock()).isTrue();
		assertThat(first.tryLock()).isFalse();
		second.unlock();
	}

	@Test
	void onlyTheOwningThreadUnlocks() throws Exception {
		Lock lock = this.registry1.obtain("foo");
		lock.lock();
		CompletableFuture<Void> other = CompletableFuture.runAsync(lock::unlock);
		assertThatThrownBy(other::join).hasCauseInstanceOf(IllegalStateException.class)
			.hasMessageContaining("You do not own lock at registry:foo");
		lock.unlock();
		assertThatIllegalStateException().isThrownBy(lock::unlock).withMessageContaining("You do not own lock");
	}

	@Test
	void unlockReportsALeaseLostMeanwhileAndStillFreesTheLock() throws Exception {
		Lock lock = this.registry1.obtain("foo");
		lock.lock();
		assertThat(this.engine2.forceRelease("registry:foo")).isTrue();
		await().atMost(WAIT).until(() -> this.engine1.heldLocks().isEmpty());
		assertThatIllegalStateException().isThrownBy(lock::unlock)
			.withMessageContaining("Lock was released in the store due to expiration");
		assertThat(CompletableFuture.supplyAsync(lock::tryLock).get(10, TimeUnit.SECONDS))
			.as("the local lock was freed").isTrue();
	}

	@Test
	void aReentrantAttemptOnALostLeaseFailsWhileSomeoneElseHoldsTheKey() throws Exception {
		DistributedLock lock = this.registry1.obtain("foo");
		lock.lock();
		this.engine2.forceRelease("registry:foo");
		await().atMost(WAIT).until(() -> this.engine1.heldLocks().isEmpty());
		Lock thief = this.registry2.obtain("foo");
		assertThat(CompletableFuture.supplyAsync(thief::tryLock).get(10, TimeUnit.SECONDS)).isTrue();
		assertThat(lock.tryLock()).as("lost, and the key is taken").isFalse();
		assertThat(this.registry1.obtain("foo").tryLock(Duration.ZERO, Duration.ofSeconds(5))).isFalse();
		assertThatIllegalStateException().isThrownBy(lock::unlock);
	}

	@Test
	void tryLockWaitsForTheHolderToRelease() throws Exception {
		Lock holder = this.registry1.obtain("foo");
		holder.lock();
		CountDownLatch waiting = new CountDownLatch(1);
		CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(() -> {
			Lock lock = this.registry2.obtain("foo");
			waiting.countDown();
			try {
				boolean acquired = lock.tryLock(20, TimeUnit.SECONDS);
				if (acquired) {
					lock.unlock();
				}
				return acquired;
			}
			catch (InterruptedException ex) {
				throw new IllegalStateException(ex);
			}
		});
		assertThat(waiting.await(10, TimeUnit.SECONDS)).isTrue();
		holder.unlock();
		assertThat(waiter.get(20, TimeUnit.SECONDS)).isTrue();
	}

	@Test
	void lockInterruptiblyGivesUpWhenInterrupted() throws Exception {
		Lock holder = this.registry1.obtain("foo");
		holder.lock();
		AtomicBoolean interrupted = new AtomicBoolean();
		Thread waiter = new Thread(() -> {
			try {
				this.registry2.obtain("foo").lockInterruptibly();
			}
			catch (InterruptedException ex) {
				interrupted.set(true);
			}
		});
		waiter.start();
		await().atMost(WAIT).until(() -> waiter.getState() == Thread.State.TIMED_WAITING
				|| waiter.getState() == Thread.State.WAITING);
		waiter.interrupt();
		waiter.join(10_000);
		assertThat(interrupted).isTrue();
		holder.unlock();
		assertThat(this.registry2.obtain("foo").tryLock()).as("the interrupted waiter holds nothing").isTrue();
		this.registry2.obtain("foo").unlock();
	}

	@Test
	void lockIsNotInterruptibleButKeepsTheInterruptFlag() throws Exception {
		Lock holder = this.registry1.obtain("foo");
		holder.lock();
		AtomicBoolean flagKept = new AtomicBoolean();
		Thread waiter = new Thread(() -> {
			Lock lock = this.registry2.obtain("foo");
			lock.lock();
			flagKept.set(Thread.currentThread().isInterrupted());
			lock.unlock();
		});
		waiter.start();
		await().atMost(WAIT).until(() -> waiter.getState() == Thread.State.TIMED_WAITING
				|| waiter.getState() == Thread.State.WAITING);
		waiter.interrupt();
		holder.unlock();
		waiter.join(10_000);
		assertThat(waiter.isAlive()).isFalse();
		assertThat(flagKept).isTrue();
	}

	@Test
	void noLostUpdateAcrossRegistriesAndThreads() throws Exception {
		long[] counter = new long[1];
		int rounds = 25;
		ExecutorService executor = Executors.newFixedThreadPool(4);
		try {
			List<Future<?>> futures = new ArrayList<>();
			for (LocksmithLockRegistry registry : List.of(this.registry1, this.registry1, this.registry2,
					this.registry2)) {
				futures.add(executor.submit(() -> {
					Lock lock = registry.obtain("counter");
					for (int i = 0; i < rounds; i++) {
						lock.lock();
						try {
							long read = counter[0];
							Thread.yield();
							counter[0] = read + 1;
						}
						finally {
							lock.unlock();
						}
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
		assertThat(counter[0]).isEqualTo(4L * rounds);
	}

	@Test
	void renewLockExtendsAHeldLockOnly() {
		DistributedLock lock = this.registry1.obtain("foo");
		assertThatIllegalStateException().isThrownBy(() -> this.registry1.renewLock("foo"));
		lock.lock(Duration.ofSeconds(3));
		this.registry1.renewLock("foo", Duration.ofMinutes(1));
		assertThat(this.engine1.heldLocks().get(0).remaining()).isGreaterThan(Duration.ofSeconds(50));
		lock.unlock();
		assertThatIllegalArgumentException().isThrownBy(() -> this.registry1.renewLock("foo", Duration.ZERO));
	}

	@Test
	void expireUnusedOlderThanDropsOnlyFreeLocks() {
		Lock held = this.registry1.obtain("held");
		Lock free = this.registry1.obtain("free");
		held.lock();
		await().atMost(WAIT).until(() -> {
			this.registry1.expireUnusedOlderThan(0);
			return this.registry1.obtain("free") != free;
		});
		this.registry1.expireUnusedOlderThan(0);
		assertThat(this.registry1.obtain("held")).isSameAs(held);
		held.unlock();
	}

	@Test
	void conditionsAreNotSupported() {
		assertThatThrownBy(() -> this.registry1.obtain("foo").newCondition())
			.isInstanceOf(UnsupportedOperationException.class);
	}

	@Test
	void lockRegistryLeaderInitiatorElectsOneLeaderAndHandsOverOnStop() {
		LockRegistryLeaderInitiator first = new LockRegistryLeaderInitiator(this.registry1,
				new DefaultCandidate("one", "cluster"));
		LockRegistryLeaderInitiator second = new LockRegistryLeaderInitiator(this.registry2,
				new DefaultCandidate("two", "cluster"));
		first.setBusyWaitMillis(50);
		second.setBusyWaitMillis(50);
		first.setHeartBeatMillis(100);
		second.setHeartBeatMillis(100);
		first.start();
		second.start();
		try {
			await().atMost(WAIT).until(() -> first.getContext().isLeader() ^ second.getContext().isLeader());
			LockRegistryLeaderInitiator leader = first.getContext().isLeader() ? first : second;
			LockRegistryLeaderInitiator follower = (leader == first) ? second : first;
			await().during(Duration.ofMillis(500)).atMost(WAIT)
				.until(() -> leader.getContext().isLeader() && !follower.getContext().isLeader());
			leader.stop();
			await().atMost(WAIT).until(() -> follower.getContext().isLeader());
			assertThat(leader.getContext().isLeader()).isFalse();
		}
		finally {
			first.stop();
			second.stop();
		}
	}

}
