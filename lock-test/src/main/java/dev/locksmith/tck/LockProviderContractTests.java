package dev.locksmith.tck;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import dev.locksmith.DistributedReadWriteLock;
import dev.locksmith.DistributedSemaphore;
import dev.locksmith.LeaseInfo;
import dev.locksmith.LeaseType;
import dev.locksmith.LockAlreadyHeldException;
import dev.locksmith.LockHandle;
import dev.locksmith.LockInfo;
import dev.locksmith.LockLostException;
import dev.locksmith.LockNotAcquiredException;
import dev.locksmith.LockOptions;
import dev.locksmith.LockPage;
import dev.locksmith.LockPhase;
import dev.locksmith.Locksmith;
import dev.locksmith.ReleaseOutcome;
import dev.locksmith.engine.LockEngine;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRef;
import dev.locksmith.spi.LeaseRequest;
import dev.locksmith.spi.LockProvider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The provider contract kit: the rules every {@link LockProvider} must keep, checked through the
 * engine against a real backend. A provider's test extends this class and implements
 * {@link #newProvider()}; every test case then runs against that backend unchanged.
 *
 * <p>Each test builds two services, {@code a} and {@code b}, on two separate provider clients of the
 * same backend, so they contend like two processes. Keys are unique per test, so tests never see each
 * other's locks.
 *
 * <p>Time-dependent cases use short TTLs ({@link #shortTtl()}) and wait for the condition (a latch or
 * an Awaitility condition), never for a guessed sleep.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class LockProviderContractTests {

	/** The key prefix the kit's services use on the backend. */
	protected static final String PREFIX = "tck:";

	private final List<AutoCloseable> closeables = new ArrayList<>();

	/** Service on the first provider client. */
	protected LockEngine a;

	/** Service on the second provider client (same backend). */
	protected LockEngine b;

	/** The first service's provider, wrapped to count calls. */
	protected CountingLockProvider providerA;

	/** The second service's provider, wrapped to count calls. */
	protected CountingLockProvider providerB;

	private String testName = "test";

	/**
	 * Returns a new client of the backend under test. Every call must return a client of the same
	 * backend, so that two clients contend for the same keys (an in-memory provider returns one shared
	 * instance). The kit closes each returned provider after the test.
	 * @return a provider client
	 */
	protected abstract LockProvider newProvider();

	/**
	 * Returns the TTL the kit uses where a lease must expire during a test. Backends with a coarse clock
	 * may raise it.
	 * @return a short TTL (default 300 ms)
	 */
	protected Duration shortTtl() {
		return Duration.ofMillis(300);
	}

	/**
	 * Returns how many critical sections each of the 16 threads runs in the mutual-exclusion test.
	 * @return iterations per thread (default 25)
	 */
	protected int contentionIterations() {
		return 25;
	}

	/**
	 * Returns whether leases on this backend expire when their TTL runs out. A backend whose leases are
	 * bound to a session instead (PostgreSQL advisory locks) returns {@code false}; the cases that need
	 * TTL expiry are then skipped, and that backend must test session loss itself.
	 * @return {@code true} if leases expire by TTL
	 */
	protected boolean leasesExpireByTtl() {
		return true;
	}

	/**
	 * Returns whether this provider releases part of a semaphore lease's permits
	 * ({@link LockProvider#reducePermits}); the partial-release cases are skipped for one that does not.
	 * @return {@code true} (the default) if it does
	 */
	protected boolean supportsPartialRelease() {
		return true;
	}

	@BeforeEach
	void startServices(TestInfo info) {
		this.testName = info.getTestMethod().map((method) -> method.getName()).orElse("test");
		LockProvider first = newProvider();
		LockProvider second = newProvider();
		this.providerA = new CountingLockProvider(first);
		this.providerB = (second == first) ? this.providerA : new CountingLockProvider(second);
		this.a = service(this.providerA, "owner-a");
		this.b = service(this.providerB, "owner-b");
		this.closeables.add(this.a);
		this.closeables.add(this.b);
		this.closeables.add(first);
		if (second != first) {
			this.closeables.add(second);
		}
	}

	private static LockEngine service(LockProvider provider, String owner) {
		return Locksmith.builder(provider).ownerId(owner + "-" + UUID.randomUUID()).keyPrefix(PREFIX).build();
	}

	@AfterEach
	void closeServices() throws Exception {
		Collections.reverse(this.closeables);
		for (AutoCloseable closeable : this.closeables) {
			closeable.close();
		}
		this.closeables.clear();
	}

	/**
	 * Returns a key unique to this test run.
	 * @param suffix distinguishes several keys in one test
	 * @return the key
	 */
	protected String key(String suffix) {
		return this.testName + ":" + suffix + ":" + UUID.randomUUID().toString().substring(0, 8);
	}

	private LockOptions fixedShortLease() {
		return LockOptions.ttl(shortTtl()).withWaitTime(Duration.ZERO);
	}

	private static LockOptions noWait() {
		return LockOptions.waitTime(Duration.ZERO);
	}

	// ------------------------------------------------------------------ basic acquire and release

	@Test
	void acquireAndRelease() {
		String key = key("k");
		LockHandle handle = this.a.acquire(key);
		assertThat(handle.isValid()).isTrue();
		assertThat(handle.key()).isEqualTo(key);
		assertThat(handle.type()).isEqualTo(LeaseType.WRITE);
		assertThat(handle.owner()).isEqualTo(this.a.ownerId());
		assertThat(handle.remaining()).isPositive();
		assertThat(this.a.isLocked(key)).isTrue();
		assertThat(this.b.isLocked(key)).isTrue();
		assertThat(this.a.activeLockCount()).isEqualTo(1);
		assertThat(this.a.heldLocks()).containsExactly(handle);

		assertThat(handle.release()).isEqualTo(ReleaseOutcome.RELEASED);
		assertThat(handle.isValid()).isFalse();
		assertThat(this.b.isLocked(key)).isFalse();
		assertThat(this.a.activeLockCount()).isZero();
		assertThat(handle.release()).isEqualTo(ReleaseOutcome.ALREADY_RELEASED);
		handle.close();
	}

	@Test
	void secondAcquireFailsWhileHeld() {
		String key = key("k");
		try (LockHandle held = this.a.acquire(key)) {
			assertThat(this.b.tryAcquire(key)).isEmpty();
			assertThatThrownBy(() -> this.b.acquire(key, noWait())).isInstanceOf(LockNotAcquiredException.class)
				.hasMessageContaining(key);
			assertThat(this.b.tryWithLock(key, Duration.ZERO, () -> "ran")).isEmpty();
			assertThat(held.isValid()).isTrue();
		}
		assertThat(this.b.tryWithLock(key, Duration.ZERO, () -> "ran")).contains("ran");
	}

	@Test
	void anotherThreadOfTheSameServiceIsExcludedToo() throws Exception {
		String key = key("k");
		try (LockHandle held = this.a.acquire(key)) {
			ExecutorService executor = Executors.newSingleThreadExecutor();
			try {
				assertThat(executor.submit(() -> this.a.tryAcquire(key).isPresent()).get()).isFalse();
			}
			finally {
				executor.shutdownNow();
			}
		}
	}

	@Test
	void independentKeysDoNotInterfere() {
		String first = key("first");
		String second = key("second");
		try (LockHandle one = this.a.acquire(first); LockHandle two = this.b.acquire(second)) {
			assertThat(one.isValid()).isTrue();
			assertThat(two.isValid()).isTrue();
		}
	}

	@Test
	void relockRightAfterUnlock() {
		String key = key("k");
		long previous = 0;
		for (int i = 0; i < 20; i++) {
			LockEngine service = (i % 2 == 0) ? this.a : this.b;
			try (LockHandle handle = service.acquire(key, noWait())) {
				assertThat(handle.fencingToken()).isGreaterThan(previous);
				previous = handle.fencingToken();
			}
		}
	}

	@Test
	void reacquiringOnTheSameThreadFailsFastInsteadOfDeadlocking() {
		String key = key("k");
		try (LockHandle held = this.a.acquire(key)) {
			long start = System.nanoTime();
			assertThatThrownBy(() -> this.a.acquire(key, LockOptions.waitTime(Duration.ofSeconds(30))))
				.isInstanceOf(LockAlreadyHeldException.class)
				.hasMessageContaining("not reentrant");
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
			assertThat(held.isValid()).isTrue();
		}
	}

	@Test
	void withLockReleasesWhenTheActionThrows() {
		String key = key("k");
		assertThatThrownBy(() -> this.a.withLock(key, () -> {
			throw new IllegalStateException("boom");
		})).isInstanceOf(IllegalStateException.class).hasMessage("boom");
		assertThat(this.b.isLocked(key)).isFalse();
		assertThatThrownBy(() -> this.a.withLock(key, () -> {
			throw new IOException("checked");
		})).isInstanceOf(IOException.class);
		assertThat(this.b.isLocked(key)).isFalse();
		assertThat(this.a.activeLockCount()).isZero();
		assertThat(this.a.withLock(key, () -> "result")).isEqualTo("result");
	}

	@Test
	void releaseWorksOnAnInterruptedThreadAndKeepsTheFlag() {
		String key = key("k");
		LockHandle handle = this.a.acquire(key);
		Thread.currentThread().interrupt();
		try {
			assertThat(handle.release()).isEqualTo(ReleaseOutcome.RELEASED);
			assertThat(Thread.currentThread().isInterrupted()).isTrue();
		}
		finally {
			Thread.interrupted();
		}
		assertThat(this.b.isLocked(key)).isFalse();
	}

	// ------------------------------------------------------------------ ownership

	@Test
	void onlyTheOwnerCanReleaseOrExtend() {
		String key = key("k");
		try (LockHandle held = this.a.acquire(key)) {
			LeaseRef forged = new LeaseRef(PREFIX + key, LeaseType.WRITE, "not-" + held.leaseId());
			assertThat(this.providerB.release(forged)).isFalse();
			assertThat(this.providerB.extend(forged, Duration.ofMinutes(5))).isFalse();
			assertThat(this.b.releaseLease(key, "not-" + held.leaseId())).isFalse();
			LockInfo info = this.b.inspect(key);
			assertThat(info.isLocked()).isTrue();
			assertThat(info.leases()).extracting(LeaseInfo::leaseId).containsExactly(held.leaseId());
			assertThat(held.isValid()).isTrue();
		}
	}

	@Test
	void anExpiredHoldersReleaseDoesNotRemoveTheNextHoldersLock() {
		org.junit.jupiter.api.Assumptions.assumeTrue(leasesExpireByTtl(), "leases do not expire by TTL here");
		String key = key("k");
		LockHandle stale = this.a.acquire(key, fixedShortLease());
		LockHandle next = this.b.acquire(key, LockOptions.waitTime(Duration.ofSeconds(10)));
		assertThat(next.fencingToken()).isGreaterThan(stale.fencingToken());

		assertThat(stale.release()).isEqualTo(ReleaseOutcome.LOST);
		LockInfo info = this.a.inspect(key);
		assertThat(info.isLocked()).isTrue();
		assertThat(info.leases()).extracting(LeaseInfo::leaseId).containsExactly(next.leaseId());
		assertThat(next.release()).isEqualTo(ReleaseOutcome.RELEASED);
	}

	@Test
	void closingALostLeaseThrows() {
		String key = key("k");
		LockHandle handle = this.a.acquire(key);
		assertThat(this.b.forceRelease(key)).isTrue();
		assertThatThrownBy(handle::close).isInstanceOf(LockLostException.class).hasMessageContaining(key);
		handle.close();
	}

	// ------------------------------------------------------------------ TTL, extension, loss

	@Test
	void aFixedLeaseExpiresAfterItsTtl() throws Exception {
		org.junit.jupiter.api.Assumptions.assumeTrue(leasesExpireByTtl(), "leases do not expire by TTL here");
		String key = key("k");
		LockHandle handle = this.a.acquire(key, fixedShortLease());
		CountDownLatch lost = new CountDownLatch(1);
		handle.onLost(lost::countDown);
		assertThat(lost.await(10, TimeUnit.SECONDS)).isTrue();
		assertThat(handle.isValid()).isFalse();
		assertThat(handle.remaining()).isEqualTo(Duration.ZERO);
		await().atMost(Duration.ofSeconds(10)).until(() -> !this.b.isLocked(key));
		try (LockHandle next = this.b.acquire(key, noWait())) {
			assertThat(next.fencingToken()).isGreaterThan(handle.fencingToken());
		}
	}

	@Test
	void extendMovesTheExpiry() {
		String key = key("k");
		try (LockHandle handle = this.a.acquire(key, fixedShortLease())) {
			handle.extend(Duration.ofMinutes(5));
			assertThat(handle.renewals()).isEqualTo(1);
			assertThat(handle.remaining()).isGreaterThan(Duration.ofMinutes(4));
			Instant expiresAt = this.b.inspect(key).expiresAt();
			assertThat(expiresAt).isAfter(Instant.now().plus(Duration.ofMinutes(4)));
		}
	}

	@Test
	void extendAfterExpiryFails() throws Exception {
		org.junit.jupiter.api.Assumptions.assumeTrue(leasesExpireByTtl(), "leases do not expire by TTL here");
		String key = key("k");
		LockHandle handle = this.a.acquire(key, fixedShortLease());
		CountDownLatch lost = new CountDownLatch(1);
		handle.onLost(lost::countDown);
		assertThat(lost.await(10, TimeUnit.SECONDS)).isTrue();
		assertThatThrownBy(() -> handle.extend(Duration.ofSeconds(10))).isInstanceOf(LockLostException.class);
		assertThat(handle.release()).isEqualTo(ReleaseOutcome.LOST);
	}

	@Test
	void extendAfterReleaseFails() {
		LockHandle handle = this.a.acquire(key("k"));
		handle.release();
		assertThatThrownBy(() -> handle.extend(Duration.ofSeconds(10)))
			.isInstanceOf(dev.locksmith.LockNotHeldException.class)
			.isNotInstanceOf(LockLostException.class);
	}

	@Test
	void autoExtendKeepsAHolderAliveForFiveTimesItsTtl() {
		String key = key("k");
		// twice the short TTL: renewal runs at a third of it, so a renewal may be late by more than a third of
		// the TTL (a 2-core CI machine under load stalls threads for 200 ms and more) without the lease expiring
		Duration ttl = shortTtl().multipliedBy(2);
		try (LockHandle handle = this.a.acquire(key, LockOptions.ttl(ttl).withAutoExtend(true))) {
			long end = System.nanoTime() + ttl.multipliedBy(5).toNanos();
			while (System.nanoTime() < end) {
				// the holder is busy for five TTLs; the lock must never be free meanwhile
				assertThat(this.b.tryAcquire(key)).isEmpty();
				LockSupport.parkNanos(ttl.toNanos() / 4);
			}
			assertThat(handle.isValid()).isTrue();
			assertThat(handle.renewals()).isGreaterThanOrEqualTo(3);
		}
		assertThat(this.b.isLocked(key)).isFalse();
		assertThat(this.a.statistics().lost()).isZero();
	}

	@Test
	void lossIsDetectedAndReportedOnce() throws Exception {
		String key = key("k");
		LockHandle handle = this.a.acquire(key, LockOptions.ttl(shortTtl()).withAutoExtend(true));
		AtomicInteger calls = new AtomicInteger();
		CountDownLatch lost = new CountDownLatch(1);
		handle.onLost(() -> {
			calls.incrementAndGet();
			lost.countDown();
		});
		assertThat(this.b.forceRelease(key)).isTrue();
		try (LockHandle usurper = this.b.acquire(key, noWait())) {
			assertThat(lost.await(10, TimeUnit.SECONDS)).isTrue();
			assertThat(handle.isValid()).isFalse();
			assertThat(this.a.activeLockCount()).isZero();
			assertThat(handle.release()).isEqualTo(ReleaseOutcome.LOST);
			assertThat(usurper.isValid()).isTrue();
			assertThat(this.a.inspect(key).leases()).extracting(LeaseInfo::leaseId)
				.containsExactly(usurper.leaseId());
		}
		AtomicInteger late = new AtomicInteger();
		handle.onLost(late::incrementAndGet);
		assertThat(late.get()).isEqualTo(1);
		assertThat(calls.get()).isEqualTo(1);
		assertThat(this.a.statistics().lost()).isEqualTo(1);
	}

	@Test
	void withLockReportsALeaseLostWhileTheActionRan() {
		String key = key("k");
		assertThatThrownBy(() -> this.a.withLock(key, LockOptions.defaults(), () -> {
			this.b.forceRelease(key);
			return "done";
		})).isInstanceOf(LockLostException.class).hasMessageContaining(key);
		assertThat(this.a.activeLockCount()).isZero();
	}

	@Test
	void minimumHoldKeepsTheLockAfterAnEarlyRelease() {
		String key = key("k");
		LockHandle handle = this.a.acquire(key, LockOptions.defaults().withMinHold(Duration.ofMinutes(2)));
		assertThat(handle.release()).isEqualTo(ReleaseOutcome.RELEASED);
		assertThat(this.a.activeLockCount()).isZero();
		assertThat(this.b.tryAcquire(key)).isEmpty();
		LockInfo info = this.b.inspect(key);
		assertThat(info.expiresAt()).isBefore(Instant.now().plus(Duration.ofMinutes(2)).plusSeconds(5));
		assertThat(this.b.forceRelease(key)).isTrue();
	}

	// ------------------------------------------------------------------ fencing and exclusion

	@Test
	void fencingTokensStrictlyIncreaseAcrossHoldersAndThreads() throws Exception {
		String key = key("k");
		int threads = 8;
		int perThread = 125;
		List<Long> tokens = Collections.synchronizedList(new ArrayList<>());
		runConcurrently(threads, (index) -> {
			LockEngine service = (index % 2 == 0) ? this.a : this.b;
			for (int i = 0; i < perThread; i++) {
				try (LockHandle handle = service.acquire(key, LockOptions.waitTime(Duration.ofSeconds(30)))) {
					tokens.add(handle.fencingToken());
				}
			}
		});
		assertThat(tokens).hasSize(threads * perThread);
		for (int i = 1; i < tokens.size(); i++) {
			assertThat(tokens.get(i)).as("token %d follows %d", tokens.get(i), tokens.get(i - 1))
				.isGreaterThan(tokens.get(i - 1));
		}
	}

	private int unsynchronisedCounter;

	@Test
	void mutualExclusionUnderSixteenThreads() throws Exception {
		String key = key("k");
		int threads = 16;
		int iterations = contentionIterations();
		AtomicInteger inside = new AtomicInteger();
		AtomicInteger maxInside = new AtomicInteger();
		this.unsynchronisedCounter = 0;
		runConcurrently(threads, (index) -> {
			LockEngine service = (index % 2 == 0) ? this.a : this.b;
			for (int i = 0; i < iterations; i++) {
				service.withLock(key, LockOptions.waitTime(Duration.ofSeconds(30)), () -> {
					maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
					int read = this.unsynchronisedCounter;
					LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
					this.unsynchronisedCounter = read + 1;
					inside.decrementAndGet();
				});
			}
		});
		assertThat(maxInside.get()).as("holders at once").isEqualTo(1);
		assertThat(this.unsynchronisedCounter).as("lost updates").isEqualTo(threads * iterations);
	}

	@Test
	void handOffWakesAWaiterBeforeTheHoldersTtlRunsOut() throws Exception {
		String key = key("k");
		LockHandle holder = this.a.acquire(key, LockOptions.ttl(Duration.ofSeconds(60)));
		int attemptsBefore = this.providerB.acquires.get();
		ExecutorService executor = Executors.newSingleThreadExecutor();
		try {
			Future<LockHandle> waiter = executor
				.submit(() -> this.b.acquire(key, LockOptions.waitTime(Duration.ofSeconds(20))));
			// the waiter has tried (and, on notifying backends without a queue, subscribed and tried again; a
			// queued waiter subscribes before its first attempt): it is now waiting
			int tries = (this.providerB.notifiesReleases() && !this.providerB.queuesWaiters()) ? 2 : 1;
			await().atMost(Duration.ofSeconds(10)).until(() -> this.providerB.acquires.get() - attemptsBefore >= tries);
			assertThat(waiter.isDone()).isFalse();
			holder.release();
			// the holder's lease had 60 s left and the waiter waits at most 20 s: only a wake-up explains success
			try (LockHandle next = waiter.get(20, TimeUnit.SECONDS)) {
				assertThat(next.fencingToken()).isGreaterThan(holder.fencingToken());
			}
		}
		finally {
			executor.shutdownNow();
		}
	}

	// ------------------------------------------------------------------ read-write locks

	@Test
	void readersShareAndExcludeWriters() throws Exception {
		String name = key("rw");
		DistributedReadWriteLock rwA = this.a.readWrite(name);
		DistributedReadWriteLock rwB = this.b.readWrite(name);
		LockHandle reader1 = rwA.read();
		Optional<LockHandle> reader2 = rwB.tryRead(noWait());
		assertThat(reader2).isPresent();
		assertThat(reader2.get().type()).isEqualTo(LeaseType.READ);
		assertThat(reader2.get().fencingToken()).isGreaterThan(reader1.fencingToken());
		assertThat(this.a.inspect(name).leases()).hasSize(2);

		// writers are tried from another thread: this one holds read leases, and upgrading fails fast
		assertThat(onOtherThread(() -> rwB.tryWrite(noWait()))).isEmpty();
		assertThat(onOtherThread(() -> this.b.tryAcquire(name))).as("a mutex of the same name is the write lock")
			.isEmpty();

		reader1.close();
		assertThat(onOtherThread(() -> rwB.tryWrite(noWait()))).isEmpty();
		reader2.get().close();
		try (LockHandle writer = rwB.write(noWait())) {
			assertThat(writer.type()).isEqualTo(LeaseType.WRITE);
			assertThat(onOtherThread(() -> rwA.tryRead(noWait()))).isEmpty();
			assertThat(onOtherThread(() -> rwA.tryWrite(noWait()))).isEmpty();
		}
		assertThat(rwA.withReadLock(() -> "read")).isEqualTo("read");
		assertThat(rwA.withWriteLock(() -> "written")).isEqualTo("written");
	}

	@Test
	void theSameThreadMayHoldTwoReadLeases() {
		DistributedReadWriteLock rw = this.a.readWrite(key("rw"));
		try (LockHandle first = rw.read(); LockHandle second = rw.read(noWait())) {
			assertThat(first.leaseId()).isNotEqualTo(second.leaseId());
			assertThatThrownBy(() -> rw.write(noWait())).isInstanceOf(LockAlreadyHeldException.class);
		}
	}

	@Test
	void aWriterWaitsForReaders() throws Exception {
		String name = key("rw");
		LockHandle reader1 = this.a.readWrite(name).read();
		LockHandle reader2 = this.a.readWrite(name).read();
		ExecutorService executor = Executors.newSingleThreadExecutor();
		try {
			int attemptsBefore = this.providerB.acquires.get();
			Future<LockHandle> writer = executor
				.submit(() -> this.b.readWrite(name).write(LockOptions.waitTime(Duration.ofSeconds(20))));
			await().atMost(Duration.ofSeconds(10)).until(() -> this.providerB.acquires.get() > attemptsBefore);
			reader1.close();
			assertThat(writer.isDone()).as("writer still blocked by the second reader").isFalse();
			reader2.close();
			try (LockHandle handle = writer.get(20, TimeUnit.SECONDS)) {
				assertThat(handle.type()).isEqualTo(LeaseType.WRITE);
			}
		}
		finally {
			executor.shutdownNow();
		}
	}

	// ------------------------------------------------------------------ semaphores

	@Test
	void aSemaphoreNeverHasMoreThanItsLimitOfHolders() throws Exception {
		String name = key("sem");
		int limit = 3;
		AtomicInteger inside = new AtomicInteger();
		AtomicInteger maxInside = new AtomicInteger();
		runConcurrently(8, (index) -> {
			DistributedSemaphore semaphore = ((index % 2 == 0) ? this.a : this.b).semaphore(name, limit);
			for (int i = 0; i < 10; i++) {
				try (LockHandle permit = semaphore.acquire(1, LockOptions.waitTime(Duration.ofSeconds(30)))) {
					maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
					LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
					inside.decrementAndGet();
				}
			}
		});
		assertThat(maxInside.get()).isBetween(1, limit);
		assertThat(this.a.semaphore(name, limit).available()).isEqualTo(limit);
	}

	@Test
	void semaphorePermitsAreCounted() throws Exception {
		String name = key("sem");
		DistributedSemaphore semA = this.a.semaphore(name, 3);
		DistributedSemaphore semB = this.b.semaphore(name, 3);
		assertThat(semA.available()).isEqualTo(3);
		LockHandle two = semA.acquire(2, noWait());
		assertThat(two.permits()).isEqualTo(2);
		assertThat(semB.available()).isEqualTo(1);
		assertThat(semB.tryAcquire(2, noWait())).isEmpty();
		LockHandle one = semB.acquire(1, noWait());
		assertThat(semB.available()).isZero();
		assertThat(semA.tryAcquire(1, noWait())).isEmpty();
		assertThat(onOtherThread(() -> this.a.tryAcquire(name)))
			.as("no mutex on a semaphore's name while permits are out")
			.isEmpty();
		two.close();
		assertThat(semB.available()).isEqualTo(2);
		one.close();
		assertThat(semA.available()).isEqualTo(3);
	}

	@Test
	void anExpiredPermitReturns() {
		org.junit.jupiter.api.Assumptions.assumeTrue(leasesExpireByTtl(), "leases do not expire by TTL here");
		String name = key("sem");
		DistributedSemaphore semA = this.a.semaphore(name, 1);
		DistributedSemaphore semB = this.b.semaphore(name, 1);
		LockHandle permit = semA.acquire(1, fixedShortLease());
		assertThat(semB.tryAcquire(1, noWait())).isEmpty();
		try (LockHandle next = semB.acquire(1, LockOptions.waitTime(Duration.ofSeconds(10)))) {
			assertThat(next.fencingToken()).isGreaterThan(permit.fencingToken());
		}
		assertThat(permit.release()).isEqualTo(ReleaseOutcome.LOST);
	}

	@Test
	void releasingPartOfThePermitsFreesThemForAnotherHolder() {
		org.junit.jupiter.api.Assumptions.assumeTrue(supportsPartialRelease(), "no partial release here");
		String name = key("sem");
		DistributedSemaphore semA = this.a.semaphore(name, 3);
		DistributedSemaphore semB = this.b.semaphore(name, 3);
		LockHandle three = semA.acquire(3, noWait());
		assertThat(semB.tryAcquire(1, noWait())).isEmpty();
		assertThat(three.releasePermits(2)).isEqualTo(1);
		assertThat(three.permits()).isEqualTo(1);
		assertThat(three.isValid()).isTrue();
		LeaseInfo kept = this.b.inspect(name).leases().get(0);
		assertThat(kept.leaseId()).isEqualTo(three.leaseId());
		assertThat(kept.permits()).isEqualTo(1);
		assertThat(kept.fencingToken()).isEqualTo(three.fencingToken());
		assertThat(semB.available()).isEqualTo(2);
		LockHandle two = semB.tryAcquire(2, noWait()).orElseThrow();
		assertThat(semB.tryAcquire(1, noWait())).as("the kept permit is still held").isEmpty();
		three.close();
		assertThat(semB.available()).isEqualTo(1);
		two.close();
		assertThat(semA.available()).isEqualTo(3);
	}

	@Test
	void partialReleasesNeverPutMorePermitsInUseThanTheLimit() throws Exception {
		org.junit.jupiter.api.Assumptions.assumeTrue(supportsPartialRelease(), "no partial release here");
		String name = key("sem");
		int limit = 4;
		AtomicInteger inUse = new AtomicInteger();
		AtomicInteger maxInUse = new AtomicInteger();
		runConcurrently(6, (index) -> {
			DistributedSemaphore semaphore = ((index % 2 == 0) ? this.a : this.b).semaphore(name, limit);
			for (int i = 0; i < 5; i++) {
				try (LockHandle permits = semaphore.acquire(2, LockOptions.waitTime(Duration.ofSeconds(30)))) {
					maxInUse.accumulateAndGet(inUse.addAndGet(2), Math::max);
					LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
					inUse.decrementAndGet(); // stop using one before giving it back
					assertThat(permits.releasePermits(1)).isEqualTo(1);
					LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
					inUse.addAndGet(-1);
				}
			}
		});
		assertThat(maxInUse.get()).isBetween(2, limit);
		assertThat(this.a.semaphore(name, limit).available()).isEqualTo(limit);
	}

	@Test
	void releasingPartOfThePermitsWakesAWaiter() throws Exception {
		org.junit.jupiter.api.Assumptions.assumeTrue(supportsPartialRelease(), "no partial release here");
		String name = key("sem");
		LockHandle three = this.a.semaphore(name, 3).acquire(3, LockOptions.ttl(Duration.ofSeconds(60)));
		int attemptsBefore = this.providerB.acquires.get();
		ExecutorService executor = Executors.newSingleThreadExecutor();
		try {
			Future<LockHandle> waiter = executor.submit(
					() -> this.b.semaphore(name, 3).acquire(2, LockOptions.waitTime(Duration.ofSeconds(50))));
			int tries = (this.providerB.notifiesReleases() && !this.providerB.queuesWaiters()) ? 2 : 1;
			await().atMost(Duration.ofSeconds(10)).until(() -> this.providerB.acquires.get() - attemptsBefore >= tries);
			assertThat(waiter.isDone()).isFalse();
			int attemptsWhileWaiting = this.providerB.acquires.get() - attemptsBefore;
			three.releasePermits(2);
			// the holder's lease had 60 s left and the waiter's next try without a wake-up is 50 s away: only a
			// wake-up explains success within 20 s
			try (LockHandle two = waiter.get(20, TimeUnit.SECONDS)) {
				assertThat(two.permits()).isEqualTo(2);
				assertThat(two.fencingToken()).isGreaterThan(three.fencingToken());
			}
			if (this.providerB.notifiesReleases()) {
				assertThat(this.providerB.acquires.get() - attemptsBefore)
					.as("woken by the partial release, not by polling").isLessThanOrEqualTo(attemptsWhileWaiting + 2);
			}
		}
		finally {
			executor.shutdownNow();
			three.close();
		}
	}

	@Test
	void theKeptPermitsStayHeldAndRenewed() {
		org.junit.jupiter.api.Assumptions.assumeTrue(supportsPartialRelease(), "no partial release here");
		org.junit.jupiter.api.Assumptions.assumeTrue(leasesExpireByTtl(), "leases do not expire by TTL here");
		String name = key("sem");
		Duration ttl = shortTtl().multipliedBy(2);
		DistributedSemaphore semB = this.b.semaphore(name, 3);
		try (LockHandle three = this.a.semaphore(name, 3).acquire(3, LockOptions.ttl(ttl).withAutoExtend(true))) {
			three.releasePermits(1);
			long renewals = three.renewals();
			long end = System.nanoTime() + ttl.multipliedBy(4).toNanos();
			while (System.nanoTime() < end) {
				// four TTLs: the two kept permits must never come free meanwhile
				assertThat(semB.tryAcquire(2, noWait())).isEmpty();
				LockSupport.parkNanos(ttl.toNanos() / 4);
			}
			assertThat(three.isValid()).isTrue();
			assertThat(three.renewals()).isGreaterThan(renewals);
			assertThat(three.permits()).isEqualTo(2);
			try (LockHandle one = semB.acquire(1, noWait())) {
				assertThat(semB.available()).isZero();
			}
		}
		assertThat(this.a.statistics().lost()).isZero();
	}

	@Test
	void releasingMorePermitsThanHeldIsRejected() {
		org.junit.jupiter.api.Assumptions.assumeTrue(supportsPartialRelease(), "no partial release here");
		String name = key("sem");
		LockHandle two = this.a.semaphore(name, 3).acquire(2, noWait());
		assertThatIllegalArgumentException().isThrownBy(() -> two.releasePermits(3))
			.withMessageContaining("releasePermits")
			.withMessageContaining("2 permits held");
		assertThatIllegalArgumentException().isThrownBy(() -> two.releasePermits(0));
		assertThat(two.permits()).isEqualTo(2);
		assertThat(this.b.semaphore(name, 3).available()).isEqualTo(1);
		assertThat(two.releasePermits(2)).as("releasing all permits releases the lease").isZero();
		assertThat(this.b.isLocked(name)).isFalse();
		assertThatThrownBy(() -> two.releasePermits(1)).isInstanceOf(dev.locksmith.LockNotHeldException.class);
		try (LockHandle mutex = this.a.acquire(key("k"), noWait())) {
			assertThatThrownBy(() -> mutex.releasePermits(1)).isInstanceOf(UnsupportedOperationException.class);
		}
	}

	@Test
	void aReducePermitsResentAfterALostReplyFreesNothingTwice() {
		org.junit.jupiter.api.Assumptions.assumeTrue(supportsPartialRelease(), "no partial release here");
		String key = key("k");
		LeaseRequest first = request(key, LeaseType.PERMITS, UUID.randomUUID().toString(), Duration.ofSeconds(30), 3,
				4);
		assertThat(this.providerA.acquire(first).isGranted()).isTrue();
		assertThat(this.providerA.reducePermits(first.ref(), 2)).isTrue();
		assertThat(this.providerA.reducePermits(first.ref(), 2)).as("re-sent: still live").isTrue();
		assertThat(this.providerA.reducePermits(first.ref(), 3)).as("never raises the count").isTrue();
		assertThat(this.providerB.inspect(PREFIX + key).leases()).extracting(LeaseInfo::permits).containsExactly(2);
		Grant two = this.providerB
			.acquire(request(key, LeaseType.PERMITS, UUID.randomUUID().toString(), Duration.ofSeconds(30), 2, 4));
		assertThat(two.isGranted()).isTrue();
		Grant oneMore = this.providerB
			.acquire(request(key, LeaseType.PERMITS, UUID.randomUUID().toString(), Duration.ofSeconds(30), 1, 4));
		assertThat(oneMore.isGranted()).as("2 + 2 of 4 permits are out").isFalse();
		assertThat(this.providerA.release(first.ref())).isTrue();
		assertThat(this.providerA.reducePermits(first.ref(), 1)).as("a released lease is gone").isFalse();
		assertThatIllegalArgumentException().isThrownBy(() -> this.providerA.reducePermits(first.ref(), 0));
	}

	// ------------------------------------------------------------------ inspection

	@Test
	void inspectShowsTheHolderAcrossInstances() {
		String key = key("k");
		assertThat(this.b.inspect(key).phase()).isEqualTo(LockPhase.UNLOCKED);
		assertThat(this.b.inspect(key).holder()).isNull();
		LockOptions options = LockOptions.ttl(Duration.ofSeconds(30)).withMetadata("purpose", "report");
		try (LockHandle held = this.a.acquire(key, options)) {
			LockInfo info = this.b.inspect(key);
			assertThat(info.key()).isEqualTo(key);
			assertThat(info.phase()).isEqualTo(LockPhase.LOCKED);
			assertThat(info.holder()).isEqualTo(this.a.ownerId());
			assertThat(info.fencingToken()).isEqualTo(held.fencingToken());
			assertThat(info.metadata()).isEqualTo(Map.of("purpose", "report"));
			assertThat(info.lockedAt()).isNotNull();
			assertThat(info.expiresAt()).isAfter(info.lockedAt());
			assertThat(Duration.between(Instant.now(), info.expiresAt())).isBetween(Duration.ofSeconds(20),
					Duration.ofSeconds(40));
		}
	}

	@Test
	void listPagesThroughHeldKeys() {
		String base = key("list");
		List<LockHandle> held = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			held.add(this.a.acquire(base + ":" + i));
		}
		try {
			LockPage all = this.b.list(0, 10_000);
			assertThat(all.locks()).extracting(LockInfo::key).contains(base + ":0", base + ":1", base + ":2");
			assertThat(all.total()).isGreaterThanOrEqualTo(3);
			assertThat(this.b.list(0, 1).locks()).hasSize(1);
			LockPage mine = this.b.list(base + ":", 0, 10);
			assertThat(mine.total()).as("only keys under the prefix").isEqualTo(3);
			assertThat(mine.locks()).extracting(LockInfo::key).containsExactly(base + ":0", base + ":1", base + ":2");
			assertThat(this.b.list(base + ":", 1, 1).locks()).extracting(LockInfo::key).containsExactly(base + ":1");
			assertThat(this.b.list(1, 2).locks()).hasSizeLessThanOrEqualTo(2);
		}
		finally {
			held.forEach(LockHandle::close);
		}
		assertThat(this.b.list(0, 10_000).locks()).extracting(LockInfo::key).doesNotContain(base + ":0");
	}

	@Test
	void detachedLeasesAreReleasedAndExtendedById() {
		String key = key("k");
		LeaseInfo lease = this.a.acquireDetached(key, LockOptions.ttl(Duration.ofSeconds(30))).orElseThrow();
		assertThat(this.a.activeLockCount()).isZero();
		assertThat(this.b.acquireDetached(key, noWait())).isEmpty();
		assertThat(this.b.inspect(key).leases()).extracting(LeaseInfo::leaseId).containsExactly(lease.leaseId());
		assertThat(this.b.extendLease(key, lease.leaseId(), Duration.ofMinutes(5))).isTrue();
		assertThat(this.b.releaseLease(key, lease.leaseId())).isTrue();
		assertThat(this.b.releaseLease(key, lease.leaseId())).isFalse();
		assertThat(this.a.isLocked(key)).isFalse();
	}

	// ------------------------------------------------------------------ idempotent acquisition

	/**
	 * Returns a provider-level request, as the engine builds it.
	 */
	private static LeaseRequest request(String key, LeaseType type, String leaseId, Duration ttl, int permits,
			int limit) {
		return new LeaseRequest(PREFIX + key, type, leaseId, "owner-resend", ttl, permits, limit, Map.of());
	}

	@Test
	void anAcquireResentWithTheSameLeaseIdReturnsTheExistingGrant() {
		String key = key("k");
		LeaseRequest first = request(key, LeaseType.WRITE, UUID.randomUUID().toString(), shortTtl(), 1, 1);
		Grant granted = this.providerA.acquire(first);
		assertThat(granted.isGranted()).isTrue();
		// The reply was lost; the engine sends the same attempt again, with a longer TTL this time.
		LeaseRequest resent = request(key, LeaseType.WRITE, first.leaseId(), Duration.ofSeconds(30), 1, 1);
		Grant again = this.providerA.acquire(resent);
		assertThat(again.isGranted()).as("the re-sent attempt finds its own lease").isTrue();
		assertThat(again.fencingToken()).isEqualTo(granted.fencingToken());
		LockInfo info = this.providerB.inspect(PREFIX + key);
		assertThat(info.leases()).extracting(LeaseInfo::leaseId).containsExactly(first.leaseId());
		if (leasesExpireByTtl()) {
			assertThat(info.expiresAt()).as("the re-send sets the expiry from its own TTL")
				.isAfter(Instant.now().plusSeconds(10));
		}
		Grant other = this.providerB
			.acquire(request(key, LeaseType.WRITE, UUID.randomUUID().toString(), Duration.ofSeconds(30), 1, 1));
		assertThat(other.isGranted()).isFalse();
		assertThat(this.providerA.release(first.ref())).isTrue();
		assertThat(this.providerB.inspect(PREFIX + key).isLocked()).isFalse();
	}

	@Test
	void aResentPermitAcquireDoesNotTakeThePermitsTwice() {
		String key = key("k");
		LeaseRequest first = request(key, LeaseType.PERMITS, UUID.randomUUID().toString(), Duration.ofSeconds(30), 2,
				3);
		long token = this.providerA.acquire(first).fencingToken();
		Grant again = this.providerA.acquire(first);
		assertThat(again.isGranted()).isTrue();
		assertThat(again.fencingToken()).isEqualTo(token);
		Grant oneMore = this.providerB
			.acquire(request(key, LeaseType.PERMITS, UUID.randomUUID().toString(), Duration.ofSeconds(30), 1, 3));
		assertThat(oneMore.isGranted()).as("2 of 3 permits are taken once, not twice").isTrue();
		assertThat(this.providerB.inspect(PREFIX + key).leases()).hasSize(2);
	}

	@Test
	void aResentReadAcquireKeepsOneReadLease() {
		String key = key("k");
		LeaseRequest first = request(key, LeaseType.READ, UUID.randomUUID().toString(), Duration.ofSeconds(30), 1, 1);
		long token = this.providerA.acquire(first).fencingToken();
		Grant again = this.providerA.acquire(first);
		assertThat(again.isGranted()).isTrue();
		assertThat(again.fencingToken()).isEqualTo(token);
		assertThat(this.providerB.inspect(PREFIX + key).leases()).extracting(LeaseInfo::leaseId)
			.containsExactly(first.leaseId());
		assertThat(this.providerA.release(first.ref())).isTrue();
		assertThat(this.providerB.inspect(PREFIX + key).isLocked()).isFalse();
	}

	// ------------------------------------------------------------------ bad input

	@Test
	void badInputIsRejectedWithAClearMessage() {
		assertThatIllegalArgumentException().isThrownBy(() -> this.a.acquire(" ")).withMessageContaining("acquire")
			.withMessageContaining("key");
		assertThatIllegalArgumentException().isThrownBy(() -> this.a.tryAcquire(null))
			.withMessageContaining("tryAcquire");
		assertThatIllegalArgumentException().isThrownBy(() -> this.a.withLock("", () -> "x"))
			.withMessageContaining("withLock");
		assertThatIllegalArgumentException().isThrownBy(() -> this.a.inspect(""));
		assertThatIllegalArgumentException().isThrownBy(() -> LockOptions.ttl(Duration.ZERO))
			.withMessageContaining("ttl");
		assertThatIllegalArgumentException().isThrownBy(() -> LockOptions.ttl(Duration.ofSeconds(-1)));
		assertThatIllegalArgumentException().isThrownBy(() -> LockOptions.waitTime(Duration.ofSeconds(-1)))
			.withMessageContaining("waitTime");
		assertThatIllegalArgumentException().isThrownBy(() -> this.a.semaphore(key("sem"), 0))
			.withMessageContaining("permits");
		DistributedSemaphore semaphore = this.a.semaphore(key("sem"), 2);
		assertThatIllegalArgumentException().isThrownBy(() -> semaphore.acquire(3)).withMessageContaining("permits");
		assertThatIllegalArgumentException().isThrownBy(() -> semaphore.acquire(0));
		assertThatIllegalArgumentException().isThrownBy(() -> this.a.readWrite(""));
		try (LockHandle handle = this.a.acquire(key("k"))) {
			assertThatIllegalArgumentException().isThrownBy(() -> handle.extend(Duration.ZERO))
				.withMessageContaining("extend");
		}
		assertThat(this.a.activeLockCount()).isZero();
	}

	// ------------------------------------------------------------------ helpers

	/**
	 * Runs {@code action} on a new thread and returns its result (for attempts that must not come from
	 * a thread that already holds the key).
	 * @param <T> the result type
	 * @param action the action
	 * @return the result
	 * @throws Exception if the action fails
	 */
	protected static <T> T onOtherThread(java.util.concurrent.Callable<T> action) throws Exception {
		ExecutorService executor = Executors.newSingleThreadExecutor();
		try {
			return executor.submit(action).get(60, TimeUnit.SECONDS);
		}
		finally {
			executor.shutdownNow();
		}
	}

	/** An action run by one of several threads. */
	@FunctionalInterface
	protected interface ThreadAction {

		/**
		 * Runs the thread's part.
		 * @param index the thread's index
		 * @throws Exception on failure
		 */
		void run(int index) throws Exception;

	}

	/**
	 * Runs {@code action} on {@code threads} platform threads started together and waits for all;
	 * rethrows the first failure.
	 * @param threads how many threads
	 * @param action what each runs
	 * @throws Exception the first failure
	 */
	protected static void runConcurrently(int threads, ThreadAction action) throws Exception {
		ExecutorService executor = Executors.newFixedThreadPool(threads);
		CountDownLatch start = new CountDownLatch(1);
		try {
			List<Future<?>> futures = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				int index = t;
				futures.add(executor.submit(() -> {
					start.await();
					action.run(index);
					return null;
				}));
			}
			start.countDown();
			for (Future<?> future : futures) {
				future.get(120, TimeUnit.SECONDS);
			}
		}
		finally {
			executor.shutdownNow();
		}
	}

}
