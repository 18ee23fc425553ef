package dev.locksmith.engine;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.locksmith.LockHandle;
import dev.locksmith.LockNotAcquiredException;
import dev.locksmith.LockOptions;
import dev.locksmith.Locksmith;
import dev.locksmith.MultiLockHandle;
import dev.locksmith.spi.LockProvider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Multi-key locks on a backend, through two services (two processes' worth of clients): sets taken in
 * opposite orders never deadlock and never overlap, and a denied key leaves nothing held.
 */
public abstract class AbstractMultiLockTests {

	protected LockEngine a;

	protected LockEngine b;

	private LockProvider first;

	private LockProvider second;

	/**
	 * Returns a new client of the backend under test (called twice per test).
	 * @return a provider
	 */
	protected abstract LockProvider newProvider();

	@BeforeEach
	void startServices() {
		this.first = newProvider();
		this.second = newProvider();
		this.a = Locksmith.builder(this.first).ownerId("multi-a").keyPrefix("multi:").build();
		this.b = Locksmith.builder(this.second).ownerId("multi-b").keyPrefix("multi:").build();
	}

	@AfterEach
	void closeServices() {
		this.a.close();
		this.b.close();
		this.first.close();
		if (this.second != this.first) {
			this.second.close();
		}
	}

	protected static String unique(String name) {
		return name + ":" + UUID.randomUUID().toString().substring(0, 8);
	}

	@Test
	void setsTakenInOppositeOrdersNeverDeadlockNorOverlap() throws Exception {
		String x = unique("x");
		String y = unique("y");
		Set<String> holders = ConcurrentHashMap.newKeySet();
		AtomicInteger overlaps = new AtomicInteger();
		AtomicInteger sections = new AtomicInteger();
		long counterX[] = new long[1];
		long counterY[] = new long[1];
		int iterations = 1_000;
		LockOptions options = LockOptions.waitTime(Duration.ofSeconds(60));
		CountDownLatch start = new CountDownLatch(1);
		ExecutorService pool = Executors.newFixedThreadPool(2);
		try {
			List<Future<?>> runs = List.of(pool.submit(() -> {
				start.await();
				for (int i = 0; i < iterations; i++) {
					this.a.withLocks(List.of(x, y), options, () -> section(holders, overlaps, sections, counterX, counterY));
				}
				return null;
			}), pool.submit(() -> {
				start.await();
				for (int i = 0; i < iterations; i++) {
					this.b.withLocks(List.of(y, x), options, () -> section(holders, overlaps, sections, counterX, counterY));
				}
				return null;
			}));
			start.countDown();
			for (Future<?> run : runs) {
				run.get(5, TimeUnit.MINUTES); // a deadlock would hang here (or time out the waits)
			}
		}
		finally {
			pool.shutdownNow();
		}
		assertThat(overlaps).as("two holders inside a set at once").hasValue(0);
		assertThat(sections).hasValue(2 * iterations);
		assertThat(counterX[0]).as("no lost update on x").isEqualTo(2L * iterations);
		assertThat(counterY[0]).as("no lost update on y").isEqualTo(2L * iterations);
		assertThat(this.a.isLocked(x) || this.a.isLocked(y)).isFalse();
	}

	private static Void section(Set<String> holders, AtomicInteger overlaps, AtomicInteger sections, long[] counterX,
			long[] counterY) {
		if (!holders.add("x")) {
			overlaps.incrementAndGet();
		}
		if (!holders.add("y")) {
			overlaps.incrementAndGet();
		}
		// read, yield, write on unsynchronised counters: a second holder would lose an update
		long readX = counterX[0];
		long readY = counterY[0];
		Thread.yield();
		counterX[0] = readX + 1;
		counterY[0] = readY + 1;
		holders.remove("x");
		holders.remove("y");
		sections.incrementAndGet();
		return null;
	}

	@Test
	void aDeniedKeyLeavesNothingHeld() {
		String k1 = unique("k1");
		String k2 = unique("k2");
		String k3 = unique("k3");
		LockOptions noWait = LockOptions.waitTime(Duration.ZERO);
		try (LockHandle blocker = this.b.acquire(k2, noWait)) {
			assertThat(this.a.tryAcquireAll(List.of(k3, k2, k1), noWait)).isEmpty();
			assertThat(this.a.isLocked(k1)).as("the key taken before the denied one was released").isFalse();
			assertThat(this.a.isLocked(k3)).as("the key after the denied one was never taken").isFalse();
			assertThat(this.a.activeLockCount()).isZero();
			assertThatExceptionOfType(LockNotAcquiredException.class)
				.isThrownBy(() -> this.a.acquireAll(List.of(k1, k2, k3), noWait));
			assertThat(this.a.isLocked(k1)).isFalse();
			assertThat(this.a.activeLockCount()).isZero();
		}
		try (MultiLockHandle all = this.a.acquireAll(List.of(k3, k1, k2), noWait)) {
			assertThat(all.keys()).containsExactly(k1, k2, k3);
			assertThat(this.b.isLocked(k1) && this.b.isLocked(k2) && this.b.isLocked(k3)).isTrue();
			for (String key : all.keys()) {
				assertThat(all.fencingToken(key)).isEqualTo(this.b.inspect(key).fencingToken());
			}
		}
		assertThat(this.b.isLocked(k1) || this.b.isLocked(k2) || this.b.isLocked(k3)).isFalse();
	}

}
