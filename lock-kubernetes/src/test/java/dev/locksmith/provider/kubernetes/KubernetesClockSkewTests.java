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
 * Expiry is judged by each client's wall clock. The holder's local deadline is its TTL minus the core's
 * drift allowance (1% + 2 ms) from when it sent the request; another client whose clock runs ahead must
 * still not take the key before that deadline, for a skew up to the provider's clock-skew allowance.
 */
class KubernetesClockSkewTests {

	private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

	private static final Duration TTL = Duration.ofSeconds(10);

	private static MockApiServer server;

	private static KubernetesClient clientA;

	private static KubernetesClient clientB;

	private final ManualClock clockA = new ManualClock(T);

	private final ManualClock clockB = new ManualClock(T);

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
	void aClientWhoseClockRunsAheadByHalfASecondDoesNotTakeTheKeyBeforeTheHoldersLocalDeadline() {
		// the scripted clocks as they are, not shifted to the API server's time (KubernetesApiServerTimeTests)
		try (KubernetesLockProvider a = KubernetesLockProvider.builder(clientA).clock(this.clockA).apiServerTime(false)
			.build();
				KubernetesLockProvider b = KubernetesLockProvider.builder(clientB).clock(this.clockB)
					.apiServerTime(false)
					.build()) {
			assertThat(a.acquire(write("skewed", "a")).isGranted()).isTrue();
			// the holder's local deadline: TTL - (1% + 2 ms) after sending = T + 9.898 s (true time)
			Duration localDeadline = TTL.minus(TTL.dividedBy(100)).minusMillis(2);
			Duration trueElapsed = Duration.ofMillis(9_600);
			assertThat(trueElapsed).isLessThan(localDeadline);
			// B's clock runs 500 ms ahead (TTL 20 times the skew, "NTP-synchronised" by any standard)
			this.clockB.set(T.plus(trueElapsed).plusMillis(500));
			Grant grant = b.acquire(write("skewed", "b"));
			assertThat(grant.isGranted()).as("B took the key while A's handle is still valid").isFalse();
			// once expiry plus the allowance has passed on B's clock, the key is B's
			this.clockB.set(T.plus(TTL).plus(KubernetesLockProvider.DEFAULT_CLOCK_SKEW_ALLOWANCE).plusMillis(1));
			assertThat(b.acquire(write("skewed", "b")).isGranted()).isTrue();
		}
	}

	private static LeaseRequest write(String key, String leaseId) {
		return new LeaseRequest(key, LeaseType.WRITE, leaseId, "pod-" + leaseId, TTL, 1, 1, Map.of());
	}

	/** A wall clock the test sets. */
	private static final class ManualClock implements LockClock {

		private final AtomicReference<Instant> now;

		ManualClock(Instant start) {
			this.now = new AtomicReference<>(start);
		}

		void set(Instant instant) {
			this.now.set(instant);
		}

		@Override
		public long nanoTime() {
			Instant instant = this.now.get();
			return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
		}

		@Override
		public Instant now() {
			return this.now.get();
		}

	}

}
