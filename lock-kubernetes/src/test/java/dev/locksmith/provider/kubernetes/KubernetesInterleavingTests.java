package dev.locksmith.provider.kubernetes;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.locksmith.LeaseType;
import dev.locksmith.LockClock;
import dev.locksmith.spi.Grant;
import dev.locksmith.spi.LeaseRequest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deterministic interleavings: the provider reads the clock between its read and its conditional write, so
 * a clock that runs an action on its first reading puts another client's write exactly in that gap.
 */
class KubernetesInterleavingTests {

	private static MockApiServer server;

	private static KubernetesClient clientA;

	private static KubernetesClient clientB;

	@BeforeAll
	static void start() {
		server = new MockApiServer();
		clientA = server.client();
		clientB = server.client();
	}

	@AfterAll
	static void stop() {
		clientA.close();
		clientB.close();
		server.close();
	}

	@Test
	void aGrantWhoseWriteConflictedIsDecidedAgainWithTheNewCounter() {
		GapClock gap = new GapClock();
		try (KubernetesLockProvider a = KubernetesLockProvider.builder(clientA).clock(gap).apiServerTime(false).build();
				KubernetesLockProvider b = KubernetesLockProvider.builder(clientB).build()) {
			String key = "conflicted";
			assertThat(b.acquire(write(key, "b0")).fencingToken()).isEqualTo(1);
			b.release(write(key, "b0").ref());
			gap.inGap(() -> {
				assertThat(b.acquire(write(key, "b1")).fencingToken()).isEqualTo(2);
				b.release(write(key, "b1").ref());
			});
			Grant grant = a.acquire(write(key, "a1"));
			assertThat(grant.isGranted()).isTrue();
			assertThat(grant.fencingToken()).isEqualTo(3);
		}
	}

	@Test
	void aKeyRecreatedByAnotherClientInTheGapIsNeverGrantedTwice() {
		GapClock gap = new GapClock();
		try (KubernetesLockProvider a = KubernetesLockProvider.builder(clientA).clock(gap).apiServerTime(false).build();
				KubernetesLockProvider b = KubernetesLockProvider.builder(clientB).build()) {
			String key = "recreated";
			b.acquire(write(key, "b0"));
			b.release(write(key, "b0").ref());
			gap.inGap(() -> {
				clientB.leases().withName(b.objectName(key)).delete();
				assertThat(b.acquire(write(key, "b1")).isGranted()).isTrue();
			});
			assertThat(a.acquire(write(key, "a1")).isGranted()).as("B holds the recreated object").isFalse();
		}
	}

	@Test
	void aKeyDeletedByHandInTheGapIsDecidedAgainNotReportedAsAnOutage() {
		GapClock gap = new GapClock();
		try (KubernetesLockProvider a = KubernetesLockProvider.builder(clientA).clock(gap).apiServerTime(false).build();
				KubernetesLockProvider b = KubernetesLockProvider.builder(clientB).build()) {
			String key = "deleted-in-gap";
			b.acquire(write(key, "b0"));
			b.release(write(key, "b0").ref());
			gap.inGap(() -> clientB.leases().withName(b.objectName(key)).delete());
			// documented: a hand-deleted object restarts the counter
			assertThat(a.acquire(write(key, "a1")).fencingToken()).isEqualTo(1);
		}
	}

	@Test
	void aConflictOnEveryAttemptEndsAsAnOutageAfter64AttemptsNeverAsAnAnswer() {
		AtomicReference<Runnable> every = new AtomicReference<>();
		LockClock storm = new LockClock() {
			@Override
			public long nanoTime() {
				return System.nanoTime();
			}

			@Override
			public Instant now() {
				Runnable runnable = every.get();
				if (runnable != null) {
					runnable.run();
				}
				return Instant.now();
			}
		};
		try (KubernetesLockProvider a = KubernetesLockProvider.builder(clientA).clock(storm).apiServerTime(false).build();
				KubernetesLockProvider b = KubernetesLockProvider.builder(clientB).build()) {
			String key = "storm";
			LeaseRequest reader = new LeaseRequest(key, LeaseType.READ, "b-read", "pod-b", Duration.ofSeconds(30), 1,
					1, Map.of());
			assertThat(b.acquire(reader).isGranted()).isTrue();
			java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();
			every.set(() -> {
				assertThat(b.extend(reader.ref(), Duration.ofSeconds(30))).isTrue();
				writes.incrementAndGet();
			});
			LeaseRequest second = new LeaseRequest(key, LeaseType.READ, "a-read", "pod-a", Duration.ofSeconds(30), 1,
					1, Map.of());
			org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.acquire(second))
				.isInstanceOf(dev.locksmith.LockProviderUnavailableException.class)
				.hasMessageContaining("64 attempts");
			every.set(null);
			assertThat(writes.get()).isGreaterThanOrEqualTo(64);
			assertThat(b.inspect(key).leases()).extracting(dev.locksmith.LeaseInfo::leaseId).containsExactly("b-read");
		}
	}

	@Test
	void aRenewalTickNeverExtendsALeaseReleasedBetweenItsReadAndItsWrite() {
		GapClock gap = new GapClock();
		try (KubernetesLockProvider a = KubernetesLockProvider.builder(clientA).clock(gap).apiServerTime(false).build();
				KubernetesLockProvider b = KubernetesLockProvider.builder(clientB).build()) {
			String key = "renewed-while-released";
			LeaseRequest r1 = new LeaseRequest(key, LeaseType.READ, "r1", "pod", Duration.ofSeconds(30), 1, 1, Map.of());
			LeaseRequest r2 = new LeaseRequest(key, LeaseType.READ, "r2", "pod", Duration.ofSeconds(30), 1, 1, Map.of());
			a.acquire(r1);
			a.acquire(r2);
			gap.inGap(() -> assertThat(b.release(r1.ref())).isTrue());
			java.util.Set<dev.locksmith.spi.LeaseRef> extended = a.renew(java.util.List.of(
					new dev.locksmith.spi.Renewal(r1.ref(), Duration.ofSeconds(60)),
					new dev.locksmith.spi.Renewal(r2.ref(), Duration.ofSeconds(60))));
			assertThat(extended).containsExactly(r2.ref());
			assertThat(b.inspect(key).leases()).extracting(dev.locksmith.LeaseInfo::leaseId).containsExactly("r2");
			gap.inGap(() -> assertThat(b.release(r2.ref())).isTrue());
			assertThat(a.extend(r2.ref(), Duration.ofSeconds(60))).isFalse();
			assertThat(b.inspect(key).isLocked()).isFalse();
		}
	}

	private static LeaseRequest write(String key, String leaseId) {
		return new LeaseRequest(key, LeaseType.WRITE, leaseId, "pod-" + leaseId, Duration.ofSeconds(30), 1, 1,
				Map.of());
	}

	/** The system clock, running an action once, on its next reading of the wall clock. */
	private static final class GapClock implements LockClock {

		private final AtomicReference<Runnable> action = new AtomicReference<>();

		void inGap(Runnable runnable) {
			this.action.set(runnable);
		}

		@Override
		public long nanoTime() {
			return System.nanoTime();
		}

		@Override
		public Instant now() {
			Runnable runnable = this.action.getAndSet(null);
			if (runnable != null) {
				runnable.run();
			}
			return Instant.now();
		}

	}

}
